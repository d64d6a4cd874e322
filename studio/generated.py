"""A video's generated texts as its page shows them: the newest ready result of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engines.generation.base import GIST_TYPES
from library.generation.results import GenerationRequest
from library.generation.services import gist_request, summarize_request
from library.models import GeneratedText, GenerationKind, GenerationStatus, Video

# What the page's buttons generate: the requests the v1.2 endpoints make without a prompt.
PAGE_KINDS = (GenerationKind.GIST, GenerationKind.SUMMARY, GenerationKind.CHAPTER, GenerationKind.HIGHLIGHT)
BUTTON_LABELS = {
    GenerationKind.GIST: "title and hashtags",
    GenerationKind.SUMMARY: "summary",
    GenerationKind.CHAPTER: "chapters",
    GenerationKind.HIGHLIGHT: "highlights",
}


def page_request(kind: str) -> GenerationRequest | None:
    """The request a page button stands for; None for a kind the page does not offer."""
    if kind == GenerationKind.GIST:
        return gist_request(types=list(GIST_TYPES))
    if kind in PAGE_KINDS:
        return summarize_request(kind=kind)
    return None


@dataclass(frozen=True)
class Generated:
    title: str = ""
    topics: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    summary: str = ""
    chapters: tuple[dict[str, Any], ...] = ()
    highlights: tuple[dict[str, Any], ...] = ()
    # Kinds whose newest result predates the video's latest indexing.
    stale: frozenset[str] = frozenset()

    @property
    def kinds(self) -> frozenset[str]:
        present = {
            GenerationKind.GIST: bool(self.title or self.topics or self.hashtags),
            GenerationKind.SUMMARY: bool(self.summary),
            GenerationKind.CHAPTER: bool(self.chapters),
            GenerationKind.HIGHLIGHT: bool(self.highlights),
        }
        return frozenset(kind for kind, found in present.items() if found)


def generated_for(video: Video) -> Generated:
    newest: dict[str, GeneratedText] = {}
    rows = video.generated_texts.filter(status=GenerationStatus.READY, kind__in=PAGE_KINDS).order_by("-generated_at")
    for row in rows.select_related("video"):
        newest.setdefault(row.kind, row)
    data = {kind: row.data or {} for kind, row in newest.items()}
    gist = data.get(GenerationKind.GIST, {})
    return Generated(
        title=gist.get("title") or "",
        topics=tuple(gist.get("topics") or ()),
        hashtags=tuple(tag.lstrip("#") for tag in gist.get("hashtags") or ()),
        summary=data.get(GenerationKind.SUMMARY, {}).get("summary") or "",
        chapters=tuple(data.get(GenerationKind.CHAPTER, {}).get("chapters") or ()),
        highlights=tuple(data.get(GenerationKind.HIGHLIGHT, {}).get("highlights") or ()),
        stale=frozenset(kind for kind, row in newest.items() if not row.is_current),
    )
