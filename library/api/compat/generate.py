"""`/gist`, `/summarize` and `/generate`, shaped as Twelve Labs v1.2 answers them.

Each answer's `id` is the stored result's generation id: an identical request is
served from the store with the same id, unless the body says `"regenerate": true`
(a Framewise extension). `/generate` with `"stream": true` answers NDJSON, one event
per line, as the SDK's `generate.text_stream` reads it:

    {"event_type": "stream_start", "metadata": {"generation_id": "..."}}
    {"event_type": "text_generation", "text": "..."}   (repeated)
    {"event_type": "stream_end", "metadata": {"generation_id": "...", "finish_reason": "stop"}}

An error before the first event is an ordinary `{code, message}` response; an error
after it is a last `{"event_type": "stream_error", "error": {code, message}}` line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.urls import URLPattern
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError, NotFound
from engines.generation.base import GenerationError
from library.api.compat import schema
from library.api.compat.common import CompatView, body, reject_unknown, required, route
from library.generation import services
from library.generation.services import TextStream
from library.models import GeneratedText, Video

logger = logging.getLogger(__name__)


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApplicationError(f"The {name} parameter must be true or false.")
    return value


def _answer(row: GeneratedText) -> Response:
    return Response({"id": str(row.generation_id), **(row.data or {})})


class GenerationView(CompatView):
    def find_video(self, video_id: Any) -> Video:
        if not isinstance(video_id, str):
            raise ApplicationError("The video_id parameter must be a string.")
        video = Video.objects.visible_to(self.teams()).select_related("index").filter(id=video_id).first()
        if video is None:
            raise NotFound(f"The video {video_id} does not exist.")
        return video


class GistView(GenerationView):
    @extend_schema(request=schema.json_body(schema.GistBody), responses=schema.OBJECT)
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, {"video_id", "types", "regenerate"})
        video_id = required(data, "video_id")
        wanted = services.gist_request(types=required(data, "types"))
        row = services.generation_generate(
            actor=self.actor(), video=self.find_video(video_id), request=wanted, regenerate=_flag(data, "regenerate")
        )
        return _answer(row)


class SummarizeView(GenerationView):
    @extend_schema(request=schema.json_body(schema.SummarizeBody), responses=schema.OBJECT)
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, {"video_id", "type", "prompt", "temperature", "regenerate"})
        video_id = required(data, "video_id")
        wanted = services.summarize_request(
            kind=required(data, "type"), prompt=data.get("prompt"), temperature=data.get("temperature")
        )
        row = services.generation_generate(
            actor=self.actor(), video=self.find_video(video_id), request=wanted, regenerate=_flag(data, "regenerate")
        )
        return _answer(row)


def _line(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, ensure_ascii=False) + "\n").encode()


def _events(stream: TextStream) -> Iterator[bytes]:
    yield _line({"event_type": "stream_start", "metadata": {"generation_id": stream.generation_id}})
    try:
        for piece in stream.pieces:
            yield _line({"event_type": "text_generation", "text": piece})
    except GenerationError as error:
        yield _line({"event_type": "stream_error", "error": {"code": error.code, "message": error.message}})
        return
    except Exception:
        # The status line is long gone: say so in the stream rather than cut it off.
        logger.exception("generation stream %s failed", stream.generation_id)
        message = "Something went wrong on our side; the error was logged."
        yield _line({"event_type": "stream_error", "error": {"code": "internal_error", "message": message}})
        return
    yield _line(
        {"event_type": "stream_end", "metadata": {"generation_id": stream.generation_id, "finish_reason": "stop"}}
    )


class GenerateView(GenerationView):
    @extend_schema(
        request=schema.json_body(schema.GenerateBody),
        responses={(200, "application/json"): schema.OBJECT, (200, "application/x-ndjson"): OpenApiTypes.STR},
    )
    def post(self, request: Request) -> Response | StreamingHttpResponse:
        data = body(request)
        reject_unknown(data, {"video_id", "prompt", "temperature", "stream", "regenerate"})
        video_id = required(data, "video_id")
        wanted = services.text_request(prompt=data.get("prompt"), temperature=data.get("temperature"))
        video = self.find_video(video_id)
        regenerate = _flag(data, "regenerate")
        if _flag(data, "stream"):
            stream = services.generation_text_stream(
                actor=self.actor(), video=video, request=wanted, regenerate=regenerate
            )
            response = StreamingHttpResponse(_events(stream), content_type="application/x-ndjson")
            response["Cache-Control"] = "no-cache"
            return response
        return _answer(
            services.generation_generate(actor=self.actor(), video=video, request=wanted, regenerate=regenerate)
        )


urlpatterns: list[URLPattern] = [
    route("gist", GistView, "gist"),
    route("summarize", SummarizeView, "summarize"),
    route("generate", GenerateView, "generate"),
]
