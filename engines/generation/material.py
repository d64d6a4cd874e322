"""What the offline generator knows about one video: its sentences and on-screen text, embedded.

Built once per video version and kept in a small per-process cache, so a gist, then
a summary, then chapters of the same video embed each sentence only once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from engines.generation import keyphrases, timeline
from engines.generation.base import VideoContext
from engines.generation.timeline import Sentence

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class ScreenItem:
    """A distinct on-screen text or logo and the first stretch it was visible."""

    start: float
    end: float
    text: str
    kind: str  # "text" or "logo"

    def quote(self) -> str:
        return f"{'Logo' if self.kind == 'logo' else 'On screen'}: “{self.text}”."


def _screen_items(video: VideoContext) -> list[ScreenItem]:
    items: dict[str, ScreenItem] = {}
    spans = [(span, "text") for span in video.texts] + [(span, "logo") for span in video.logos]
    for span, kind in sorted(spans, key=lambda pair: pair[0].start):
        value = " ".join(span.value.split())
        if timeline.readable(value) and value.lower() not in items:
            items[value.lower()] = ScreenItem(span.start, span.end, value, kind)
    return list(items.values())


def normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass(eq=False)
class Material:
    """Computed values are cached on first use: sentences and texts never change for a video version."""

    video: VideoContext
    embed: Embed
    sentences: list[Sentence] = field(default_factory=list)
    screen: list[ScreenItem] = field(default_factory=list)
    candidates: list[keyphrases.Candidate] = field(default_factory=list)
    _vectors: dict[str, np.ndarray] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """MiniLM vectors of `texts` (n, d), each string embedded once per video."""
        with self._lock:
            missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
            if missing:
                self._vectors.update(zip(missing, self.embed(missing), strict=True))
            if not texts:
                # Callers check for emptiness first; this keeps `len()` and stacking valid.
                return np.zeros((0, 0), np.float32)
            return np.stack([self._vectors[text] for text in texts])

    @property
    def is_empty(self) -> bool:
        return not self.sentences and not self.screen

    @cached_property
    def sentence_vectors(self) -> np.ndarray:
        return self.vectors([sentence.text for sentence in self.sentences])

    @cached_property
    def screen_vectors(self) -> np.ndarray:
        return self.vectors([item.text for item in self.screen])

    @cached_property
    def candidate_vectors(self) -> np.ndarray:
        return self.vectors([candidate.text for candidate in self.candidates])

    @cached_property
    def centroid(self) -> np.ndarray:
        """What the whole video is about: the mean of every sentence and on-screen text."""
        parts = [matrix for matrix in (self.sentence_vectors, self.screen_vectors) if len(matrix)]
        return normalise(np.concatenate(parts).mean(axis=0))

    @cached_property
    def vocabulary(self) -> set[str]:
        return {stem(word) for candidate in self.candidates for word in candidate.words}


def stem(word: str) -> str:
    """A crude English stem, enough to match "cook" with "cooking" and "sauces" with "sauce"."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def build(video: VideoContext, embed: Embed) -> Material:
    found = timeline.sentences(video.transcript)
    screen = _screen_items(video)
    material = Material(
        video=video,
        embed=embed,
        sentences=found,
        screen=screen,
        candidates=keyphrases.candidates([s.text for s in found] + [item.text for item in screen]),
    )
    # One batch for everything the gist and summaries need: batching is what makes MiniLM fast.
    material.vectors([s.text for s in found] + [item.text for item in screen] + [c.text for c in material.candidates])
    return material


class MaterialCache:
    """The last few videos' material, least recently used first out."""

    def __init__(self, embed: Embed, *, size: int = 16) -> None:
        self.embed = embed
        self.size = size
        self._items: OrderedDict[str, Material] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, video: VideoContext) -> Material:
        with self._lock:
            material = self._items.get(video.key)
            if material is not None:
                self._items.move_to_end(video.key)
                return material
        material = build(video, self.embed)
        with self._lock:
            self._items[video.key] = material
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return material
