"""`POST /v1.3/embed-v2` and its tasks: Framewise's models' vectors (search/embed_v2.py), as floats.

Routed by search/api/v13.py. Errors are the one `{code, message}` of every API path.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import numpy as np
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError, Forbidden
from core.rules import may_somewhere
from library.api.compat.common import iso
from library.api.v13.common import V13View
from search import embed_v2
from search.commands import SearchCommand
from search.params import MAX_QUERY_CHARS, fetch_image


def schema_body(name: str, fields: dict[str, Any]) -> Any:
    return {"application/json": inline_serializer(name, fields)}


def schema_object(name: str) -> Any:
    return inline_serializer(name, {"_id": serializers.CharField(), "status": serializers.CharField()})


def iso_seconds(seconds: int) -> str | None:
    return iso(datetime.fromtimestamp(seconds, tz=UTC))


MODEL_NAMES = ("marengo3.0", "marengo3.5")
_MODEL = serializers.ChoiceField(choices=MODEL_NAMES)
TEXT_BODY = {
    "input_type": serializers.ChoiceField(choices=("text",)),
    "model_name": _MODEL,
    "text": inline_serializer("V13EmbedTextBody", {"input_text": serializers.RegexField(r"\S", max_length=500)}),
}
VIDEO_BODY = {
    "input_type": serializers.ChoiceField(choices=("video",)),
    "model_name": _MODEL,
    "video": inline_serializer("V13EmbedVideoBody", {
        "media_source": inline_serializer("V13EmbedVideoSourceBody", {"asset_id": serializers.CharField()}),
        "embedding_option": serializers.ListField(
            child=serializers.ChoiceField(choices=("visual", "transcription")), required=False, min_length=1
        ),
        "embedding_scope": serializers.ListField(
            child=serializers.ChoiceField(choices=("clip", "asset")), required=False, min_length=1
        ),
    }),
}  # fmt: skip
EMBED_DESCRIPTION = (
    "input_type text (above), image {media_source: {url | base64_string}}, text_image {input_text, media_source} "
    "or video {media_source: {asset_id}} of an indexed asset. Vectors are Framewise's models' (README)."
)  # accepted names; the vectors are Framewise's models' either way
INPUT_TYPES = ("text", "image", "text_image", "video")


def _object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ApplicationError(
            f"input_type {data.get('input_type')} needs the {name} object.", code="parameter_not_provided"
        )
    return value


def _media_bytes(source: Any, name: str) -> bytes:
    """An image given as `{url}` (through the guarded fetcher) or `{base64_string}`."""
    if not isinstance(source, dict):
        raise ApplicationError(f"{name}.media_source must be an object with url or base64_string.")
    if source.get("asset_id"):
        raise ApplicationError(
            "Image assets are not supported: Framewise assets are videos; give the image as url or base64_string.",
            code="feature_not_supported",
        )
    if source.get("url"):
        return fetch_image(str(source["url"]))
    raw = source.get("base64_string")
    if not isinstance(raw, str) or not raw:
        raise ApplicationError(f"{name}.media_source needs url or base64_string.", code="parameter_not_provided")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ApplicationError(f"{name}.media_source.base64_string is not valid base64.") from None


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApplicationError(f"The {name} parameter must be a non-empty text.", code="parameter_not_provided")
    if len(value) > MAX_QUERY_CHARS:
        raise ApplicationError(f"The {name} parameter is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    return value.strip()


def _list(value: Any, name: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> list[str]:
    if value is None:
        return list(default)
    if not isinstance(value, list) or not value or any(item not in allowed for item in value):
        code = (
            "feature_not_supported" if name == "embedding_option" and "audio" in (value or []) else "parameter_invalid"
        )
        raise ApplicationError(f"The {name} parameter takes a non-empty list of {', '.join(allowed)}.", code=code)
    return list(dict.fromkeys(value))


def _check_model(data: dict[str, Any], fields: set[str]) -> str:
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ApplicationError(f"Unknown parameter(s): {', '.join(unknown)}.", code="parameter_unknown")
    model = data.get("model_name")
    if model not in MODEL_NAMES:
        raise ApplicationError(f"The model_name parameter must be one of {', '.join(MODEL_NAMES)}.")
    input_type = data.get("input_type")
    if input_type not in INPUT_TYPES:
        raise ApplicationError(
            f"Framewise embeds input_type {', '.join(INPUT_TYPES)}; {input_type!r} (audio, multi_input, documents) "
            "is not supported.",
            code="feature_not_supported" if isinstance(input_type, str) else "parameter_invalid",
        )
    return str(input_type)


def _checked_dimension(data: dict[str, Any], vector: np.ndarray) -> None:
    wanted = data.get("embedding_dimension")
    if wanted is not None and wanted != vector.shape[0]:
        raise ApplicationError(
            f"This server's embeddings have {vector.shape[0]} dimensions; embedding_dimension {wanted} is not "
            "available (omit it).",
        )


class EmbedView(V13View):
    """POST /v1.3/embed-v2: one embedding of a text, an image or both (composed), or a video asset's."""

    @extend_schema(operation_id="v1.3_embed_v2_create", request=schema_body("V13EmbedBody", TEXT_BODY),
                   description=EMBED_DESCRIPTION, responses=inline_serializer("V13Embeddings", {
        "data": serializers.ListField(child=serializers.DictField()),
    }))  # fmt: skip
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        input_type = _check_model(data, {"input_type", "model_name", "text", "image", "text_image", "video",
                                         "embedding_dimension", "auto_truncate", "embedding_uncertainty"})  # fmt: skip
        if data.get("embedding_uncertainty"):
            raise ApplicationError("embedding_uncertainty is not supported.", code="feature_not_supported")
        if input_type != "video" and not may_somewhere(self.actor(), SearchCommand.SEARCH):
            # A text or an image reads no team's data, but embedding is for members of a team.
            raise Forbidden("Embedding needs a team membership that may search.")
        if input_type == "video":
            return Response(self._video(data))
        if input_type == "text":
            vector = embed_v2.text_embedding(_text(_object(data, "text").get("input_text"), "text.input_text"))
        elif input_type == "image":
            vector = embed_v2.image_embedding(_media_bytes(_object(data, "image").get("media_source"), "image"))
        else:
            both = _object(data, "text_image")
            vector = embed_v2.text_image_embedding(
                _text(both.get("input_text"), "text_image.input_text"),
                _media_bytes(both.get("media_source"), "text_image"),
            )
        _checked_dimension(data, vector)
        item = {"embedding": [float(x) for x in vector], "embedding_option": None, "embedding_scope": None,
                "start_sec": None, "end_sec": None}  # fmt: skip
        return Response({"data": [item]})

    def _video(self, data: dict[str, Any]) -> dict[str, Any]:
        video = _object(data, "video")
        asset_id, options, scopes = _video_request(video)
        found = embed_v2.video_embeddings(asset_id, self.team_ids(), options=options, scopes=scopes)
        if found.status != "ready":
            raise ApplicationError(
                f"The asset {asset_id} is still being indexed; ask again when its indexed asset is ready, or "
                "create an embedding task (POST /embed-v2/tasks).",
                code="video_not_ready",
            )
        return {"data": found.items, "metadata": _video_metadata(found, options, scopes)}

    def team_ids(self) -> list[int]:
        return [team.pk for team in self.teams()]


def _video_request(video: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    unknown = sorted(set(video) - {"media_source", "embedding_option", "embedding_scope", "embedding_type",
                                   "segmentation", "start_sec", "end_sec"})  # fmt: skip
    if unknown:
        raise ApplicationError(f"Unknown parameter(s) in video: {', '.join(unknown)}.", code="parameter_unknown")
    for name in ("segmentation", "start_sec", "end_sec"):
        if video.get(name) is not None:
            # Clips are the segments indexing cut (shot-aligned, about FRAMEWISE_SEGMENT_SECONDS): fixed.
            raise ApplicationError(
                f"video.{name} is not supported: clips are the segments indexing made.", code="feature_not_supported"
            )
    source = video.get("media_source")
    asset_id = source.get("asset_id") if isinstance(source, dict) else None
    if not isinstance(asset_id, str) or not asset_id:
        raise ApplicationError(
            "Video embeddings need video.media_source.asset_id (an asset indexed into one of your indexes); "
            "url and base64_string videos are not supported.",
            code="feature_not_supported" if isinstance(source, dict) and source else "parameter_not_provided",
        )
    options = _list(video.get("embedding_option"), "embedding_option", embed_v2.VIDEO_OPTIONS, embed_v2.VIDEO_OPTIONS)
    scopes = _list(video.get("embedding_scope"), "embedding_scope", embed_v2.SCOPES, embed_v2.SCOPES)
    return asset_id, options, scopes


def _video_metadata(found: embed_v2.VideoEmbeddings, options: list[str], scopes: list[str]) -> dict[str, Any]:
    duration = float(found.video.duration) if found.video is not None else 0.0
    dimension = len(found.items[0]["embedding"]) if found.items else None
    return {"embedding_scopes": scopes, "embedding_options": options, "duration": duration,
            "input_filename": found.video.filename if found.video is not None else None,
            **({"embedding_dimension": dimension} if dimension else {})}  # fmt: skip


class EmbedTasksView(V13View):
    """POST /v1.3/embed-v2/tasks: a video asset's embeddings, ready once its indexing is."""

    @extend_schema(
        operation_id="v1.3_embed_v2_tasks_create",
        request=schema_body("V13EmbedTaskBody", VIDEO_BODY),
        responses=schema_object("V13EmbedTask"),
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        input_type = _check_model(data, {"input_type", "model_name", "video", "embedding_dimension",
                                         "embedding_uncertainty"})  # fmt: skip
        if input_type != "video":
            raise ApplicationError(
                "Embedding tasks embed videos (input_type video); embed texts and images with POST /embed-v2.",
                code="feature_not_supported",
            )
        asset_id, options, scopes = _video_request(_object(data, "video"))
        team_ids = [team.pk for team in self.teams()]
        found = embed_v2.video_embeddings(asset_id, team_ids, options=options, scopes=scopes)
        return Response({"_id": embed_v2.task_id(asset_id, team_ids, options, scopes), "status": found.status})

    @extend_schema(exclude=True)  # always a 400: nothing to list
    def get(self, request: Request) -> Response:
        # Nothing is stored per task (the id carries the request), so there is nothing to list.
        raise ApplicationError(
            "Embedding tasks are not stored, so they cannot be listed: keep the _id that creating one returned.",
            code="feature_not_supported",
        )


class EmbedTaskView(V13View):
    """GET /v1.3/embed-v2/tasks/{task_id}: status and, when ready, the embeddings."""

    @extend_schema(operation_id="v1.3_embed_v2_tasks_retrieve", responses=schema_object("V13EmbedTaskResult"))
    def get(self, request: Request, task_id: str) -> Response:
        team_ids = [team.pk for team in self.teams()]
        task = embed_v2.read_task_id(task_id, team_ids)
        found = embed_v2.video_embeddings(task["a"], team_ids, options=task["o"], scopes=task["s"])
        answer: dict[str, Any] = {"_id": task_id, "status": found.status, "created_at": iso_seconds(task["c"])}
        if found.status == "ready":
            answer["data"] = found.items
            answer["metadata"] = _video_metadata(found, task["o"], task["s"])
        return Response(answer)
