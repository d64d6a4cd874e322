"""The contract between Framewise and a text generator (titles, summaries, chapters, answers).

A generator never sees the database: the library hands it a `VideoContext` built from
what indexing stored, and gets back plain frozen dataclasses. Nothing here imports
Django or an ML library, so the web process imports it freely.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from engines.base import Segment, Shot, TextSpan, TranscriptLine
from engines.errors import FramewiseError

GIST_TYPES: tuple[str, ...] = ("title", "topic", "hashtag")
SUMMARY_TYPES: tuple[str, ...] = ("summary", "chapter", "highlight")


class GenerationError(FramewiseError):
    """A generator could not produce text; transient for a timeout or a 5xx from an LLM server."""

    code = "generation_failed"


def word_pieces(text: str) -> Iterator[str]:
    """`text` a word at a time (with its spacing), the way a language model streams."""
    yield from re.findall(r"\s*\S+\s*", text)


@dataclass(frozen=True)
class Label:
    """A taxonomy label of the whole video (from a classification run)."""

    name: str
    score: float


@dataclass(frozen=True)
class VideoContext:
    """Everything a generator may use about one video; nothing else is a fact to it."""

    # Names this version of the video's content (e.g. "<id>@<indexed_at>"), so caches
    # keyed on it never mix a re-indexed video with its old self.
    key: str
    duration: float
    transcript: tuple[TranscriptLine, ...] = ()
    texts: tuple[TextSpan, ...] = ()
    logos: tuple[TextSpan, ...] = ()
    shots: tuple[Shot, ...] = ()
    segments: tuple[Segment, ...] = ()
    labels: tuple[Label, ...] = ()
    # Objects and scenes the visual concept classifier saw (value, confidence); () with CLIP.
    concepts: tuple[TextSpan, ...] = ()


@dataclass(frozen=True)
class Gist:
    """Only the requested parts are set; the others stay None."""

    title: str | None = None
    topics: tuple[str, ...] | None = None
    hashtags: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Chapter:
    start: int  # whole seconds, as the Twelve Labs SDK's models require
    end: int
    title: str
    summary: str


@dataclass(frozen=True)
class Highlight:
    start: int
    end: int
    highlight: str
    summary: str


@runtime_checkable
class TextGenerator(Protocol):
    """What the library needs from a generator. `prompt` is "" when the client sent none."""

    # Stored with every result, so results of different providers or models never mix.
    label: str

    def gist(self, video: VideoContext, *, types: frozenset[str]) -> Gist: ...

    def summary(self, video: VideoContext, *, prompt: str, temperature: float | None) -> str: ...

    def chapters(self, video: VideoContext, *, prompt: str, temperature: float | None) -> tuple[Chapter, ...]: ...

    def highlights(self, video: VideoContext, *, prompt: str, temperature: float | None) -> tuple[Highlight, ...]: ...

    def answer(self, video: VideoContext, *, prompt: str, temperature: float | None) -> Iterator[str]:
        """The answer to an open prompt, in pieces as they are produced; joined, the full text."""
        ...
