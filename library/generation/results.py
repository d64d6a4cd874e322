"""Run one request through a generator and shape the result twice: as the API returns it, and as text.

`data` is exactly the v1.2 response body without its `id`, so a stored result is
served again unchanged; `text` is what editors read in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engines.generation.base import TextGenerator, VideoContext
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
    text = "".join(generator.answer(video, prompt=request.prompt, temperature=request.temperature))
    return text, {"data": text}
