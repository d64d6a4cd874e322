"""Where chapters start: at shot cuts, and inside long shots where the topic changes.

The video is first cut into units: its shots, with long shots split further at
sentence starts. Adjacent units then merge, most similar pair first (MiniLM vectors
of what is said and shown in them), while a unit is too short, while there are too
many, or while two neighbours are about the same thing. Every chapter therefore
starts where a unit started: a real shot cut or the start of a spoken sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engines.generation import timeline
from engines.generation.material import Material, normalise

# Neighbouring units this similar are one topic and merge. Across a shot cut it takes a
# lot (the cut already says something changed: a recipe's steps stay chapters); inside
# one shot, sentence groups on one subject score 0.4-0.7 with MiniLM and unrelated ones
# below 0.2.
SAME_TOPIC_ACROSS_CUT = 0.7
SAME_TOPIC_IN_SHOT = 0.35


@dataclass
class Unit:
    start: float
    end: float
    at_cut: bool  # starts at a shot cut (or at 0), not at a sentence inside a shot
    sentences: list[int] = field(default_factory=list)  # indices into material.sentences
    screen: list[int] = field(default_factory=list)  # indices into material.screen

    @property
    def is_empty(self) -> bool:
        return not self.sentences and not self.screen

    def absorb(self, other: Unit) -> None:
        self.start, self.end = min(self.start, other.start), max(self.end, other.end)
        self.sentences = sorted(set(self.sentences) | set(other.sentences))
        self.screen = sorted(set(self.screen) | set(other.screen))


def shortest_chapter(duration: float) -> float:
    return min(30.0, max(2.0, duration / 20))


def most_chapters(duration: float) -> int:
    return min(30, max(6, math.ceil(duration / 120)))


def _bounds(material: Material, shortest: float) -> list[tuple[float, float, bool]]:
    """Shots; a long shot (a talk, an interview) is cut at sentence starts so topics can split it."""
    longest = max(60.0, 4 * shortest)
    bounds: list[tuple[float, float, bool]] = []
    for start, end in timeline.shot_bounds(material.video):
        piece, at_cut = start, True
        if end - start > longest:
            for sentence in material.sentences:
                if piece + shortest <= sentence.start <= end - shortest:
                    bounds.append((piece, sentence.start, at_cut))
                    piece, at_cut = sentence.start, False
        bounds.append((piece, end, at_cut))
    return bounds


def units(material: Material, shortest: float) -> list[Unit]:
    video = material.video
    screen_index = {item.text.lower(): position for position, item in enumerate(material.screen)}
    spans = [*video.texts, *video.logos]
    result: list[Unit] = []
    bounds = _bounds(material, shortest)
    for number, (start, end, at_cut) in enumerate(bounds):
        last = number == len(bounds) - 1
        unit = Unit(start, end, at_cut)
        for position, sentence in enumerate(material.sentences):
            middle = (sentence.start + sentence.end) / 2
            if start <= middle < end or (last and middle >= end):
                unit.sentences.append(position)
        for span in spans:
            key = " ".join(span.value.split()).lower()
            if key in screen_index and span.start < end and span.end > start:
                unit.screen.append(screen_index[key])
        unit.screen = sorted(set(unit.screen))
        result.append(unit)
    return result


def vector(material: Material, unit: Unit) -> np.ndarray | None:
    parts = []
    if unit.sentences:
        parts.append(material.sentence_vectors[unit.sentences])
    if unit.screen:
        parts.append(material.screen_vectors[unit.screen])
    return normalise(np.concatenate(parts).sum(axis=0)) if parts else None


def _to_whole_seconds(found: list[Unit], duration: float) -> list[Unit]:
    merged: list[Unit] = []
    for _, members in timeline.whole_second_groups([unit.start for unit in found], duration):
        head = found[members[0]]
        for other in members[1:]:
            head.absorb(found[other])
        merged.append(head)
    return merged


def _drop_empty(found: list[Unit]) -> list[Unit]:
    # A stretch with nothing said or shown joins the chapter before it (or after, at the start):
    # a chapter needs something true to be called.
    kept: list[Unit] = []
    pending: Unit | None = None
    for unit in found:
        if not unit.is_empty:
            if pending is not None:
                unit.absorb(pending)
                pending = None
            kept.append(unit)
        elif kept:
            kept[-1].absorb(unit)
        elif pending is None:
            pending = unit
        else:
            pending.absorb(unit)
    return kept or ([pending] if pending is not None else [])


def chapters(material: Material, *, limit: int | None = None) -> list[Unit]:
    """The chapters of the video as units, in time order, covering it from 0 to its end."""
    duration = material.video.duration
    shortest = shortest_chapter(duration)
    most = min(limit, most_chapters(duration)) if limit else most_chapters(duration)
    found = _drop_empty(_to_whole_seconds(units(material, shortest), duration))
    vectors = [vector(material, unit) for unit in found]
    while len(found) > 1:
        similarity = [float(vectors[i] @ vectors[i + 1]) for i in range(len(found) - 1)]  # type: ignore[operator]
        short = [i for i, unit in enumerate(found) if unit.end - unit.start < shortest]
        if short:
            i = min(short, key=lambda index: found[index].end - found[index].start)
            # Join the more similar neighbour.
            left = similarity[i - 1] if i > 0 else -2.0
            right = similarity[i] if i < len(similarity) else -2.0
            pair = i - 1 if left >= right else i
        else:
            # The pair most above its own bar merges first (a cut raises the bar).
            margins = [
                similarity[i] - (SAME_TOPIC_ACROSS_CUT if found[i + 1].at_cut else SAME_TOPIC_IN_SHOT)
                for i in range(len(similarity))
            ]
            pair = int(np.argmax(margins))
            if len(found) > most:
                pair = int(np.argmax(similarity))
            elif margins[pair] < 0:
                break
        found[pair].absorb(found.pop(pair + 1))
        vectors[pair] = vector(material, found[pair])
        vectors.pop(pair + 1)
    return found
