"""`/v1.3/analyze` and `/v1.3/analyze/tasks`: prompts over an asset's indexed video (library/generation/analyze.py).

The video is `video: {"type": "asset_id", "asset_id"}` (the asset's ready indexed video, one
in an index with a generative model first) or, as SDKs before 1.3.6 sent it, `video_id` (an
indexed asset). A video given by URL or base64, and images, answer 400 `feature_not_supported`:
Framewise answers from what indexing stored, so a video must be uploaded and indexed first.

`"stream": true` answers NDJSON, one JSON object a line, exactly as the SDK parses it (a line
it cannot parse is dropped silently, so every line is one of these three):

    {"event_type": "stream_start", "metadata": {"generation_id": "..."}}
    {"event_type": "text_generation", "text": "..."}                      (repeated)
    {"event_type": "stream_end", "finish_reason": "stop"|"length",
     "metadata": {"generation_id": "...", "usage": {"output_tokens": n}}, "error": null | {code, message}}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError, NotFound
from engines.generation.base import GenerationError
from library.api.compat.common import ID, body, iso, reject_unknown, route
from library.api.v13.common import V13View, page_of
from library.generation import analyze
from library.generation.analyze import AnalyzeStream
from library.models import GeneratedText, Video

logger = logging.getLogger(__name__)

FIELDS = {"model_name", "video", "video_id", "image", "prompt", "prompt_v2", "temperature", "response_format",
          "max_tokens", "start_time", "end_time", "stream"}  # fmt: skip
TASK_FIELDS = (FIELDS - {"stream"}) | {"custom_id", "analysis_mode", "min_segment_duration", "max_segment_duration"}
MODEL_PREFIX = "pegasus"
# The schema lists the indexed-video form (`video_id`) and the plain knobs; `video: {type: asset_id}`,
# `prompt_v2` and `response_format` (an LLM only) are in the description: a generated body of those
# would be a request the schema cannot tell apart from a wrong one.
_BODY_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "video_id": serializers.CharField(help_text="An indexed asset (or give video: {type: asset_id, asset_id})."),
    "prompt": serializers.RegexField(r"\S", max_length=2000),
    "temperature": serializers.FloatField(required=False, min_value=0, max_value=1),
    "max_tokens": serializers.IntegerField(required=False, min_value=1, max_value=analyze.MAX_TOKENS_LIMIT),
}
BODY = inline_serializer("V13AnalyzeBody", {**_BODY_FIELDS, "stream": serializers.BooleanField(required=False)})
TASK_BODY = inline_serializer("V13AnalyzeTaskBody", _BODY_FIELDS)  # a task is never streamed
ANALYZE_DESCRIPTION = (
    "Also accepted: video {type: asset_id, asset_id} instead of video_id; prompt_v2 {input_text} instead of "
    "prompt; start_time/end_time (seconds, end after start); model_name pegasus*; response_format "
    "{type: json_schema, json_schema} with an LLM provider (else 400 response_format_needs_llm)."
)
ANSWER = inline_serializer("V13AnalyzeAnswer", {"id": serializers.CharField(), "data": serializers.CharField()})
TASK = inline_serializer("V13AnalyzeTask", {"task_id": serializers.CharField(), "status": serializers.CharField()})


def _prompt(data: dict[str, Any]) -> Any:
    """`prompt`, or `prompt_v2.input_text` (media sources in a prompt are not supported)."""
    v2 = data.get("prompt_v2")
    if v2 is None:
        return data.get("prompt")
    if data.get("prompt") is not None:
        raise ApplicationError("Send either prompt or prompt_v2, not both.")
    if not isinstance(v2, dict) or set(v2) - {"input_text", "media_sources"}:
        raise ApplicationError("The prompt_v2 parameter must be {input_text, media_sources?}.")
    if v2.get("media_sources"):
        raise ApplicationError(
            "prompt_v2.media_sources is not supported: Framewise answers from the video's indexing only.",
            code="feature_not_supported",
        )
    return v2.get("input_text")


def _request(data: dict[str, Any], *, task: bool) -> Any:
    model = data.get("model_name")
    if model is not None and not (isinstance(model, str) and model.startswith(MODEL_PREFIX)):
        raise ApplicationError("The model_name parameter must name a Pegasus model (e.g. pegasus1.2).")
    if data.get("image"):
        raise ApplicationError(
            "Analyzing images is not supported: Framewise analyzes indexed videos.", code="feature_not_supported"
        )
    if data.get("analysis_mode") not in (None, "general"):
        raise ApplicationError("Only analysis_mode general is supported.", code="feature_not_supported")
    return analyze.analyze_request(
        prompt=_prompt(data),
        temperature=data.get("temperature"),
        # Async tasks may say "unlimited": the generator's own length then.
        max_tokens=None if data.get("max_tokens") == "unlimited" else data.get("max_tokens"),
        start_time=data.get("start_time"),
        end_time=data.get("end_time"),
        response_format=data.get("response_format"),
        task=task,
    )


class AnalyzeBase(V13View):
    def find_video(self, data: dict[str, Any]) -> tuple[Video, dict[str, Any]]:
        """(the video to analyze, the `video_source` tasks report)."""
        if data.get("video_id") is not None:
            if data.get("video") is not None:
                raise ApplicationError("Send either video or video_id, not both.")
            video = (
                Video.objects.select_related("index").visible_to(self.teams()).filter(id=str(data["video_id"])).first()
            )
            if video is None:
                raise NotFound(f"The video {data['video_id']} does not exist.")
            return video, {"type": "video_id", "video_id": video.id, "index_id": video.index_id}
        source = data.get("video")
        if not isinstance(source, dict) or "type" not in source:
            raise ApplicationError(
                'The video parameter is required: {"type": "asset_id", "asset_id": "..."}.',
                code="parameter_not_provided",
            )
        if source["type"] != "asset_id":
            raise ApplicationError(
                f"A video given as {source['type']} is not supported: upload it as an asset (POST /assets), index "
                'it, and analyze it as {"type": "asset_id"}.',
                code="feature_not_supported",
            )
        asset = self.get_asset(str(source.get("asset_id") or ""))
        videos = list(Video.objects.visible_to(self.teams()).select_related("index").filter(asset=asset))
        if not videos:
            raise ApplicationError(
                f"The asset {asset.id} is not indexed: index it into an index with a Pegasus model first.",
                code="asset_not_indexed",
            )
        # Ready before indexing, generative indexes first, the latest indexing first.
        videos.sort(
            key=lambda v: (v.is_ready, v.index.has_generative_engine, v.indexed_at or v.created_at), reverse=True
        )
        video = videos[0]
        return video, {"type": "asset_id", "asset_id": asset.id, "video_id": video.id, "index_id": video.index_id}


def _line(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, ensure_ascii=False) + "\n").encode()


def stream_events(stream: AnalyzeStream) -> Iterator[bytes]:
    """The NDJSON lines of a streamed answer; an error after the first line rides on `stream_end`."""
    yield _line({"event_type": "stream_start", "metadata": {"generation_id": stream.generation_id}})
    error: dict[str, str] | None = None
    try:
        for piece in stream.pieces:
            yield _line({"event_type": "text_generation", "text": piece})
    except GenerationError as exc:
        error = {"code": exc.code, "message": exc.message}
    except Exception:
        # The status line is long gone: say so on the last line rather than cut the stream off.
        logger.exception("analyze stream %s failed", stream.generation_id)
        error = {"code": "internal_error", "message": "Something went wrong on our side; the error was logged."}
    metadata: dict[str, Any] = {"generation_id": stream.generation_id}
    if stream.end.get("usage"):
        metadata["usage"] = stream.end["usage"]
    yield _line(
        {"event_type": "stream_end", "finish_reason": stream.end.get("finish_reason", "stop"), "metadata": metadata,
         "error": error}
    )  # fmt: skip


class AnalyzeView(AnalyzeBase):
    @extend_schema(
        operation_id="v1.3_analyze",
        description=ANALYZE_DESCRIPTION,
        request={"application/json": BODY},
        responses={(200, "application/json"): ANSWER, (200, "application/x-ndjson"): OpenApiTypes.STR},
    )
    def post(self, request: Request) -> Response | StreamingHttpResponse:
        data = body(request)
        reject_unknown(data, FIELDS)
        wanted = _request(data, task=False)
        video, _ = self.find_video(data)
        streamed = data.get("stream")
        if streamed not in (None, True, False):
            raise ApplicationError("The stream parameter must be true or false.")
        if streamed:
            stream = analyze.analyze_stream(actor=self.actor(), video=video, request=wanted)
            response = StreamingHttpResponse(stream_events(stream), content_type="application/x-ndjson")
            response["Cache-Control"] = "no-cache"
            return response
        row = analyze.analyze_generate(actor=self.actor(), video=video, request=wanted)
        answer = row.data or {}
        return Response(
            {"id": str(row.generation_id), "data": answer.get("data", row.text),
             "finish_reason": answer.get("finish_reason", "stop"), "usage": answer.get("usage") or {"output_tokens": 0}}
        )  # fmt: skip


HIDDEN = ("analyze", "task", "source", "custom_id")


def task_json(row: GeneratedText) -> dict[str, Any]:
    state = analyze.task_status(row)
    answer: dict[str, Any] = {
        "task_id": str(row.pk),
        "status": state,
        "created_at": iso(row.created_at),
        "video_source": row.params.get("source") or {"type": "video_id", "video_id": row.video_id},
        "request_params": {"prompt": row.prompt, **{k: v for k, v in row.params.items() if k not in HIDDEN}},
    }
    if row.params.get("custom_id"):
        answer["custom_id"] = row.params["custom_id"]
    if state == "ready":
        data = row.data or {}
        answer["completed_at"] = iso(row.generated_at)
        answer["result"] = {
            "generation_id": str(row.generation_id),
            "data": data.get("data", row.text),
            "finish_reason": data.get("finish_reason", "stop"),
            "usage": data.get("usage") or {"output_tokens": 0},
        }
    elif state in ("failed", "canceled"):
        answer["completed_at"] = iso(row.finished_at)
        answer["error"] = {"code": row.error_code or "generation_failed", "message": row.error_message or "Failed."}
    return answer


class AnalyzeTaskListView(AnalyzeBase):
    @extend_schema(operation_id="v1.3_analyze_tasks_list", responses=TASK)
    def get(self, request: Request) -> Response:
        rows = analyze.analyze_tasks([team.pk for team in self.teams()])
        wanted = request.query_params.get("status")
        if wanted:
            rows = analyze.with_status(rows, wanted)
        if request.query_params.get("asset_id"):
            rows = rows.filter(params__source__asset_id=request.query_params["asset_id"])
        items, page_info = page_of(request, rows)  # newest first, as v1.3 lists them
        return Response({"data": [task_json(row) for row in items], "page_info": page_info})

    @extend_schema(
        operation_id="v1.3_analyze_tasks_create",
        description=ANALYZE_DESCRIPTION,
        request={"application/json": TASK_BODY},
        responses={201: TASK},
    )
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, TASK_FIELDS)
        for name in ("min_segment_duration", "max_segment_duration"):
            if data.get(name) is not None:
                raise ApplicationError(
                    f"{name} is not supported (time-based metadata is not).", code="feature_not_supported"
                )
        wanted = _request(data, task=True)
        video, source = self.find_video(data)
        wanted.params["source"] = source
        custom_id = data.get("custom_id")
        if custom_id is not None:
            if not isinstance(custom_id, str) or len(custom_id) > 200:
                raise ApplicationError("The custom_id parameter must be a text of at most 200 characters.")
            wanted.params["custom_id"] = custom_id
        row = analyze.analyze_task_create(actor=self.actor(), video=video, request=wanted)
        return Response({"task_id": str(row.pk), "status": analyze.task_status(row)}, status=status.HTTP_201_CREATED)


def _task(view: V13View, task_id: str) -> GeneratedText:
    row = (
        analyze.analyze_tasks([team.pk for team in view.teams()]).filter(pk=int(task_id)).first()
        if task_id.isdigit() and len(task_id) < 19
        else None
    )
    if row is None:
        raise NotFound(f"The analyze task {task_id} does not exist.")
    return row


class AnalyzeTaskView(AnalyzeBase):
    @extend_schema(operation_id="v1.3_analyze_tasks_retrieve", responses=TASK)
    def get(self, request: Request, task_id: str) -> Response:
        return Response(task_json(_task(self, task_id)))

    @extend_schema(operation_id="v1.3_analyze_tasks_delete", responses={204: None})
    def delete(self, request: Request, task_id: str) -> Response:
        analyze.analyze_task_delete(actor=self.actor(), task=_task(self, task_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnalyzeTaskCancelView(AnalyzeBase):
    @extend_schema(operation_id="v1.3_analyze_tasks_cancel", request=None, responses=TASK)
    def post(self, request: Request, task_id: str) -> Response:
        row = analyze.analyze_task_cancel(actor=self.actor(), task=_task(self, task_id))
        return Response(task_json(row))


urlpatterns = [
    route("analyze", AnalyzeView, "v13-analyze"),
    route("analyze/tasks", AnalyzeTaskListView, "v13-analyze-tasks"),
    route(f"analyze/tasks/{ID.format('task_id')}", AnalyzeTaskView, "v13-analyze-task"),
    route(f"analyze/tasks/{ID.format('task_id')}/cancel", AnalyzeTaskCancelView, "v13-analyze-task-cancel"),
]
