"""v1.3 analyze: a prompt over one video, answered now, streamed, or as an async task.

Everything goes through the generation store and lifecycle of /v1.2's generate: a request is a
`GenerationRequest` of kind `text` whose params add analyze's time window, `max_tokens` and
`response_format` (results.py honours them); an identical request is served from the store;
an async task is a `GeneratedText` job row of the one lifecycle (library/kinds.py GENERATION),
claimed by a worker, retried, cancelled and recovered like every job. Writes check
`Command.GENERATE` in the rule table.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from core import jobs
from core.errors import ApplicationError
from core.rules import Actor, check
from engines.generation.base import GenerationError, word_pieces
from library.commands import LibraryCommand as Command
from library.generation.context import video_context
from library.generation.jobs import generation_queue
from library.generation.providers import get_generator
from library.generation.results import Answer, GenerationRequest
from library.generation.services import (
    _clean_prompt,
    _clean_temperature,
    api_error,
    generation_check_video,
    generation_store,
    stored_result,
)
from library.kinds import GENERATION
from library.models import GeneratedText, GenerationKind, GenerationStatus, Video

MAX_TOKENS_LIMIT = 4096
CANCELED = "analyze_task_canceled"


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ApplicationError(f"The {name} parameter must be a number of seconds, 0 or more.")
    return float(value)


def analyze_request(
    *,
    prompt: Any,
    temperature: Any = None,
    max_tokens: Any = None,
    start_time: Any = None,
    end_time: Any = None,
    response_format: Any = None,
    task: bool = False,
) -> GenerationRequest:
    """The generation request of an analyze body, or a 400 saying what is wrong with it."""
    params: dict[str, Any] = {"analyze": True, "temperature": _clean_temperature(temperature)}
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
            raise ApplicationError(f"The max_tokens parameter must be a whole number from 1 to {MAX_TOKENS_LIMIT}.")
        params["max_tokens"] = max_tokens
    start, end = _number(start_time, "start_time"), _number(end_time, "end_time")
    if start is not None and end is not None and end <= start:
        raise ApplicationError("The end_time parameter must be greater than start_time.")
    if start is not None:
        params["start_time"] = start
    if end is not None:
        params["end_time"] = end
    if response_format is not None:
        params["response_format"] = _response_format(response_format)
    if task:
        params["task"] = True  # async tasks are their own rows: cancelling one never touches a sync answer
    return GenerationRequest(GenerationKind.TEXT, _clean_prompt(prompt, required=True), params)


def _response_format(value: Any) -> dict[str, Any]:
    if (
        not isinstance(value, dict)
        or value.get("type") != "json_schema"
        or not isinstance(value.get("json_schema"), dict)
    ):
        raise ApplicationError('The response_format parameter must be {"type": "json_schema", "json_schema": {...}}.')
    if set(value) - {"type", "json_schema"}:
        raise ApplicationError(
            "response_format takes only type and json_schema (segment definitions are not supported).",
            code="feature_not_supported",
        )
    try:
        jsonschema.validators.validator_for(value["json_schema"]).check_schema(value["json_schema"])
    except jsonschema.SchemaError as exc:
        raise ApplicationError(f"response_format.json_schema is not a valid JSON Schema: {exc.message}") from None
    if settings.FRAMEWISE_GENERATION_PROVIDER == "local":
        # The offline generator writes sentences from the video; it cannot promise a shape.
        raise ApplicationError(
            "response_format needs a configured LLM (FRAMEWISE_GENERATION_PROVIDER=openai): the offline "
            "generator cannot write answers that follow a JSON schema.",
            code="response_format_needs_llm",
        )
    return {"type": "json_schema", "json_schema": value["json_schema"]}


def _ready(actor: Actor, video: Video) -> None:
    check(actor, Command.GENERATE, video.index.team_id, what="video")
    generation_check_video(video=video)


def analyze_generate(*, actor: Actor, video: Video, request: GenerationRequest) -> GeneratedText:
    """The stored answer of `request`, generating it first when there is none."""
    _ready(actor, video)
    generator = get_generator()
    stored = stored_result(video, generator, request)
    if stored is not None:
        return stored
    answer = Answer(generator, video_context(video), request)
    try:
        for _ in answer:
            pass
    except GenerationError as error:
        raise api_error(error) from error
    return generation_store(
        video=video, provider=generator.label, request=request, text=answer.text, data=answer.data()
    )


@dataclass
class AnalyzeStream:
    """An answer being written: its id is known before its first piece; `end` after its last."""

    generation_id: str
    pieces: Iterator[str]  # raises GenerationError; stores the answer after its last piece
    end: dict[str, Any]  # finish_reason and usage, filled once `pieces` is exhausted


def analyze_stream(*, actor: Actor, video: Video, request: GenerationRequest) -> AnalyzeStream:
    _ready(actor, video)
    generator = get_generator()
    stored = stored_result(video, generator, request)
    if stored is not None:
        data = stored.data or {}
        return AnalyzeStream(
            str(stored.generation_id),
            word_pieces(stored.text),
            {"finish_reason": data.get("finish_reason", "stop"), "usage": data.get("usage")},
        )
    generation_id = uuid.uuid4()
    answer = Answer(generator, video_context(video), request)
    end: dict[str, Any] = {}

    def pieces() -> Iterator[str]:
        yield from answer
        end.update(finish_reason=answer.finish_reason, usage={"output_tokens": answer.output_tokens})
        # Only a complete answer is stored: a client that hangs up leaves nothing half-written.
        generation_store(video=video, provider=generator.label, request=request, text=answer.text,
                         data=answer.data(), generation_id=generation_id)  # fmt: skip

    return AnalyzeStream(str(generation_id), pieces(), end)


# -- async tasks ------------------------------------------------------------------------------


def analyze_tasks(team_ids: list[int]) -> QuerySet[GeneratedText]:
    """The team's analyze tasks, newest first (team-scoped selector)."""
    return (
        GeneratedText.objects.visible_to(team_ids)
        .filter(params__task=True)
        .select_related("video__index")
        .order_by("-created_at", "-id")
    )


def with_status(rows: QuerySet[GeneratedText], status: str) -> QuerySet[GeneratedText]:
    """Tasks in one of v1.3's statuses (`queued` and `pending` are both a waiting row)."""
    if status == "canceled":
        return rows.filter(status=GenerationStatus.FAILED, error_code=CANCELED)
    if status == "failed":
        return rows.filter(status=GenerationStatus.FAILED).exclude(error_code=CANCELED)
    mapped = {"queued": GenerationStatus.PENDING, "pending": GenerationStatus.PENDING,
              "processing": GenerationStatus.RUNNING, "ready": GenerationStatus.READY}.get(status)  # fmt: skip
    if mapped is None:
        raise ApplicationError("The status parameter takes queued, pending, processing, ready, failed or canceled.")
    return rows.filter(status=mapped)


def analyze_task_create(*, actor: Actor, video: Video, request: GenerationRequest) -> GeneratedText:
    """A task row for `request`, handed to the workers (an identical current answer is ready at once)."""
    _ready(actor, video)
    row, _ = generation_queue(video=video, request=request, provider=get_generator().label, user=actor.recorded_user)
    return row


def analyze_task_cancel(*, actor: Actor, task: GeneratedText) -> GeneratedText:
    """Stop a waiting or running task (its worker stops at its next heartbeat); a finished one is left as it is."""
    check(actor, Command.GENERATE, task.video.index.team_id, what="analyze task")
    message = "The analyze task was canceled."
    jobs.cancel(GENERATION, GeneratedText.objects.filter(id=task.id), code=CANCELED, message=message)
    task.refresh_from_db()
    return task


def analyze_task_delete(*, actor: Actor, task: GeneratedText) -> None:
    check(actor, Command.GENERATE, task.video.index.team_id, what="analyze task")
    with transaction.atomic():
        jobs.cancel(GENERATION, GeneratedText.objects.filter(id=task.id), code=CANCELED, message="Deleted.")
        GeneratedText.objects.filter(id=task.id).delete()


def task_status(row: GeneratedText) -> str:
    """v1.3's status names for a task row."""
    if row.status == GenerationStatus.FAILED and row.error_code == CANCELED:
        return "canceled"
    return {
        GenerationStatus.PENDING: "pending",
        GenerationStatus.RUNNING: "processing",
        GenerationStatus.READY: "ready",
        GenerationStatus.FAILED: "failed",
    }[GenerationStatus(row.status)]
