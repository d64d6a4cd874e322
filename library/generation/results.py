"""Run one request through a generator and shape the result twice: as the API returns it, and as text.

`data` is exactly the response body without its `id` (v1.2's, or v1.3 analyze's with
`finish_reason` and `usage`), so a stored result is served again unchanged; `text` is what
editors read in the admin.

Analyze requests (v1.3) may also carry, in their params: a time window (`start_time`,
`end_time`: the generator reads only what happens in it), `max_tokens` (the answer stops
there, `finish_reason: length`) and `response_format` (a JSON schema the answer must
validate against; only an LLM is asked for it, library/generation/analyze.py checks that).
`output_tokens` counts the pieces the generator produced: words for the offline generator,
streamed chunks for an LLM.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import jsonschema

from engines.generation.base import GenerationError, TextGenerator, VideoContext
from engines.generation.timeline import clock
from library.models import GenerationKind


@dataclass(frozen=True)
class GenerationRequest:
    kind: str
    prompt: str
    # Everything besides the prompt that shapes the result: gist types, temperature.
    params: dict[str, Any]

    @property
    def temperature(self) -> float | None:
        value = self.params.get("temperature")
        return None if value is None else float(value)

    @property
    def max_tokens(self) -> int | None:
        value = self.params.get("max_tokens")
        return None if value is None else int(value)

    @property
    def json_schema(self) -> dict[str, Any] | None:
        value = (self.params.get("response_format") or {}).get("json_schema")
        return value if isinstance(value, dict) else None


def _inside(start: float, end: float, window: tuple[float, float]) -> bool:
    return start < window[1] and end > window[0]


def windowed(video: VideoContext, request: GenerationRequest) -> VideoContext:
    """The video as seen through the request's time window (all of it without one)."""
    start, end = request.params.get("start_time"), request.params.get("end_time")
    if start is None and end is None:
        return video
    window = (float(start or 0.0), float(end if end is not None else video.duration))
    return replace(
        video,
        # The generator's caches are keyed on this: a window is another video to them.
        key=f"{video.key}@{window[0]:g}-{window[1]:g}",
        transcript=tuple(t for t in video.transcript if _inside(t.start, t.end, window)),
        texts=tuple(t for t in video.texts if _inside(t.start, t.end, window)),
        logos=tuple(t for t in video.logos if _inside(t.start, t.end, window)),
        shots=tuple(s for s in video.shots if _inside(s.start, s.end, window)),
        segments=tuple(s for s in video.segments if _inside(s.start, s.end, window)),
        concepts=tuple(c for c in video.concepts if _inside(c.start, c.end, window)),
    )


class Answer:
    """An answer's pieces as they come, cut at `max_tokens`; then its finish reason and token count."""

    def __init__(self, generator: TextGenerator, video: VideoContext, request: GenerationRequest) -> None:
        prompt = request.prompt
        if request.json_schema is not None:
            prompt += (
                "\n\nAnswer with only a JSON value, no prose and no code fences, that validates against this "
                "JSON Schema:\n" + json.dumps(request.json_schema)
            )
        self._pieces = generator.answer(windowed(video, request), prompt=prompt, temperature=request.temperature)
        self._limit = request.max_tokens
        self._schema = request.json_schema
        self.output_tokens = 0
        self.finish_reason = "stop"
        self.text = ""

    def __iter__(self) -> Iterator[str]:
        written: list[str] = []
        for piece in self._pieces:
            if self._limit is not None and self.output_tokens >= self._limit:
                self.finish_reason = "length"
                break
            self.output_tokens += 1
            written.append(piece)
            yield piece
        self.text = "".join(written)
        if self._schema is not None:
            check_json(self.text, self._schema)

    def data(self) -> dict[str, Any]:
        return {"data": self.text, "finish_reason": self.finish_reason, "usage": {"output_tokens": self.output_tokens}}


def check_json(text: str, schema: dict[str, Any]) -> Any:
    """The answer as JSON valid under `schema`; GenerationError(generation_invalid_response) if it is not."""
    bare = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", text)
    try:
        value = json.loads(bare)
        jsonschema.validate(value, schema)
    except (ValueError, jsonschema.ValidationError) as exc:
        detail = exc.message if isinstance(exc, jsonschema.ValidationError) else "not JSON"
        raise GenerationError(
            f"The LLM's answer does not match response_format ({detail[:300]}).",
            code="generation_invalid_response",
            transient=False,
        ) from None
    return value


def _gist(generator: TextGenerator, video: VideoContext, request: GenerationRequest) -> tuple[str, dict[str, Any]]:
    gist = generator.gist(video, types=frozenset(request.params["types"]))
    data: dict[str, Any] = {}
    lines: list[str] = []
    if gist.title is not None:
        data["title"] = gist.title
        lines.append(f"Title: {gist.title}")
    if gist.topics is not None:
        data["topics"] = list(gist.topics)
        lines.append("Topics: " + ", ".join(gist.topics))
    if gist.hashtags is not None:
        data["hashtags"] = list(gist.hashtags)
        lines.append("Hashtags: " + " ".join(f"#{tag}" for tag in gist.hashtags))
    return "\n".join(lines), data


def _chapters(generator: TextGenerator, video: VideoContext, request: GenerationRequest) -> tuple[str, dict[str, Any]]:
    chapters = generator.chapters(video, prompt=request.prompt, temperature=request.temperature)
    rows = [
        {
            "chapter_number": number,
            "start": chapter.start,
            "end": chapter.end,
            "chapter_title": chapter.title,
            "chapter_summary": chapter.summary,
        }
        for number, chapter in enumerate(chapters)
    ]
    text = "\n".join(f"{clock(c.start)}–{clock(c.end)} {c.title}: {c.summary}" for c in chapters)
    return text, {"chapters": rows}


def _highlights(
    generator: TextGenerator, video: VideoContext, request: GenerationRequest
) -> tuple[str, dict[str, Any]]:
    highlights = generator.highlights(video, prompt=request.prompt, temperature=request.temperature)
    rows = [
        {"start": h.start, "end": h.end, "highlight": h.highlight, "highlight_summary": h.summary} for h in highlights
    ]
    text = "\n".join(f"{clock(h.start)}–{clock(h.end)} {h.highlight}" for h in highlights)
    return text, {"highlights": rows}


def produce(generator: TextGenerator, video: VideoContext, request: GenerationRequest) -> tuple[str, dict[str, Any]]:
    """(readable text, API data) of one request. Raises GenerationError from the generator."""
    if request.kind == GenerationKind.GIST:
        return _gist(generator, video, request)
    if request.kind == GenerationKind.CHAPTER:
        return _chapters(generator, video, request)
    if request.kind == GenerationKind.HIGHLIGHT:
        return _highlights(generator, video, request)
    if request.kind == GenerationKind.SUMMARY:
        summary = generator.summary(video, prompt=request.prompt, temperature=request.temperature)
        return summary, {"summary": summary}
    if request.params.get("analyze"):
        answer = Answer(generator, video, request)
        for _ in answer:
            pass
        return answer.text, answer.data()
    text = "".join(generator.answer(video, prompt=request.prompt, temperature=request.temperature))
    return text, {"data": text}
