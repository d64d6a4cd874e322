"""Where in a segment each option's evidence lies: the bounds a search hit reports.

Search makes clips tight around the evidence: the words a conversation vector embedded,
the time on-screen text was seen. The in-process backend derives these per query from
the index's words and spans (search/matrix.py `speech_bounds`, search/scoring.py
`_span_bounds`); the pgvector backend stores them with each vector row, computed here at
write time by the same rules, so a search never loads a transcript to answer:

* a word belongs to the segment holding its midpoint (the last segment starting at or
  before it, as the engine assigns words to cells), and a segment's conversation bounds
  are its first word's start and last word's end; a segment without words keeps its own;
* text bounds are the segment clamped to the spans overlapping it;
* visual bounds are the segment's.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

Bounds = tuple[float, float]


def speech_bounds(segments: Sequence[Bounds], words: Sequence[Bounds]) -> list[Bounds]:
    """Per segment (in time order), the bounds of the words whose midpoint falls in it."""
    starts = [start for start, _ in segments]
    first: list[float | None] = [None] * len(segments)
    last: list[float | None] = [None] * len(segments)
    for word_start, word_end in words:
        row = bisect.bisect_right(starts, (word_start + word_end) / 2) - 1
        if row < 0:
            continue
        first[row] = word_start if first[row] is None else min(first[row], word_start)  # type: ignore[type-var]
        last[row] = word_end if last[row] is None else max(last[row], word_end)  # type: ignore[type-var]
    return [
        (segment[0] if lo is None else lo, segment[1] if hi is None else hi)
        for segment, lo, hi in zip(segments, first, last, strict=True)
    ]


def span_bounds(segments: Sequence[Bounds], spans: Sequence[Bounds]) -> list[Bounds]:
    """Per segment, the segment clamped to the time the overlapping spans were on screen."""
    result = []
    for start, end in segments:
        seen = [(s, e) for s, e in spans if s < end and e > start]
        if seen:
            result.append((max(start, min(s for s, _ in seen)), min(end, max(e for _, e in seen))))
        else:
            result.append((start, end))
    return result
