"""Generation commands the API calls: validate, serve from the store, or generate and store.

A request is (kind, prompt, params). An identical request for the same video and
provider is answered from the store while the stored result is newer than the video's
indexing; `regenerate=True` always generates again (and replaces the stored result).
Requests run in the calling process, as the client waits for the answer anyway: the
local generator needs about 0.3 s for a short video's first request (embedding its
sentences) and milliseconds after that; an hour of speech takes about 9 s the first
time (bench/generate_speed.py). An LLM's answer takes what the LLM takes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError
from core.rules import Actor, check
from engines.generation.base import GIST_TYPES, SUMMARY_TYPES, GenerationError, TextGenerator, word_pieces
from library.commands import LibraryCommand
from library.generation.context import video_context
from library.generation.providers import get_generator
from library.generation.results import GenerationRequest, produce
from library.models import GeneratedText, GenerationKind, GenerationStatus, Video
from library.models.generation import request_key

# Prompts longer than this are refused (400 prompt_too_long): about 400 words, far more
# than any instruction needs, and it bounds what reaches an LLM's context.
MAX_PROMPT_CHARS = 2000
# How the API reports a generator's failure: the upstream server is ours to explain.
ERROR_STATUS = {
    "generation_timeout": 504,
    "generation_unavailable": 503,
    "generation_failed": 502,
    "generation_invalid_response": 502,
}


# --- validation -------------------------------------------------------------------------------


def generation_check_video(*, video: Video) -> None:
    """A video can be generated from only in an index with a generative engine, once it is indexed."""
    if not video.index.has_generative_engine:
        raise ApplicationError(
            f"The index of video {video.id} has no generative engine; create the index with pegasus1 or "
            "pegasus1.1 among its engines to generate text.",
            code="index_not_supported_for_generate",
        )
    if not video.is_ready:
        raise ApplicationError(
            f"The video {video.id} is still being indexed; generate text once its task is ready.",
            code="video_not_ready",
        )


def _clean_prompt(prompt: Any, *, required: bool) -> str:
    if prompt is None or prompt == "":
        if required:
            raise ApplicationError("The prompt parameter is required.", code="parameter_not_provided")
        return ""
    if not isinstance(prompt, str):
        raise ApplicationError("The prompt parameter must be a string.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ApplicationError(
            f"The prompt is {len(prompt)} characters long; the limit is {MAX_PROMPT_CHARS}.", code="prompt_too_long"
        )
    if required and not prompt.strip():
        raise ApplicationError("The prompt parameter is required.", code="parameter_not_provided")
    return prompt.strip()


def _clean_temperature(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ApplicationError("The temperature parameter must be a number between 0 and 1.")
    return float(value)


def gist_request(*, types: Any) -> GenerationRequest:
    if not isinstance(types, list) or not types or any(kind not in GIST_TYPES for kind in types):
        raise ApplicationError(f"The types parameter must be a non-empty list of: {', '.join(GIST_TYPES)}.")
    return GenerationRequest(GenerationKind.GIST, "", {"types": sorted(set(types))})


def summarize_request(*, kind: Any, prompt: Any = None, temperature: Any = None) -> GenerationRequest:
    if kind not in SUMMARY_TYPES:
        raise ApplicationError(f"The type parameter must be one of: {', '.join(SUMMARY_TYPES)}.")
    return GenerationRequest(
        str(kind), _clean_prompt(prompt, required=False), {"temperature": _clean_temperature(temperature)}
    )


def text_request(*, prompt: Any, temperature: Any = None) -> GenerationRequest:
    return GenerationRequest(
        GenerationKind.TEXT, _clean_prompt(prompt, required=True), {"temperature": _clean_temperature(temperature)}
    )


# --- the store ---------------------------------------------------------------------------------


def stored_result(video: Video, generator: TextGenerator, request: GenerationRequest) -> GeneratedText | None:
    row = GeneratedText.objects.filter(
        video=video,
        kind=request.kind,
        provider=generator.label,
        request_key=request_key(prompt=request.prompt, params=request.params),
    ).first()
    if row is None:
        return None
    row.video = video
    return row if row.is_current else None


def generation_store(
    *,
    video: Video,
    provider: str,
    request: GenerationRequest,
    text: str,
    data: dict[str, Any],
    generation_id: uuid.UUID | None = None,
) -> GeneratedText:
    """Upsert the result of `request` as ready (the unique request makes concurrent writers safe)."""
    with transaction.atomic():
        row, _ = GeneratedText.objects.update_or_create(
            video=video,
            kind=request.kind,
            provider=provider,
            request_key=request_key(prompt=request.prompt, params=request.params),
            defaults={
                "prompt": request.prompt,
                "params": request.params,
                "status": GenerationStatus.READY,
                "generation_id": generation_id or uuid.uuid4(),
                "text": text,
                "data": data,
                "error_code": "",
                "error_message": "",
                "generated_at": timezone.now(),
            },
        )
    return row


def api_error(error: GenerationError) -> ApplicationError:
    return ApplicationError(error.message, code=error.code, status=ERROR_STATUS.get(error.code, 502))


# --- commands ----------------------------------------------------------------------------------


def generation_generate(
    *, actor: Actor, video: Video, request: GenerationRequest, regenerate: bool = False
) -> GeneratedText:
    """The stored result of `request`, generating it first when there is none (or when asked to)."""
    check(actor, LibraryCommand.GENERATE, video.index.team_id, what="video")
    generation_check_video(video=video)
    generator = get_generator()
    stored = None if regenerate else stored_result(video, generator, request)
    if stored is not None:
        return stored
    try:
        text, data = produce(generator, video_context(video), request)
    except GenerationError as error:
        raise api_error(error) from error
    return generation_store(video=video, provider=generator.label, request=request, text=text, data=data)


@dataclass(frozen=True)
class TextStream:
    """An open answer being written: its id is known before its first word."""

    generation_id: str
    pieces: Iterator[str]  # stores the whole answer after yielding its last piece; raises GenerationError


def generation_text_stream(
    *, actor: Actor, video: Video, request: GenerationRequest, regenerate: bool = False
) -> TextStream:
    check(actor, LibraryCommand.GENERATE, video.index.team_id, what="video")
    generation_check_video(video=video)
    generator = get_generator()
    stored = None if regenerate else stored_result(video, generator, request)
    if stored is not None:
        return TextStream(str(stored.generation_id), word_pieces(stored.text))
    context = video_context(video)
    generation_id = uuid.uuid4()

    def pieces() -> Iterator[str]:
        written: list[str] = []
        for piece in generator.answer(context, prompt=request.prompt, temperature=request.temperature):
            written.append(piece)
            yield piece
        # Only a complete answer is stored: a client that hangs up leaves nothing half-written.
        text = "".join(written)
        generation_store(
            video=video,
            provider=generator.label,
            request=request,
            text=text,
            data={"data": text},
            generation_id=generation_id,
        )

    return TextStream(str(generation_id), pieces())
