"""Segment-level hits and the operators that combine them.

A `Hits` is a sparse set of segment rows that passed the threshold, with a score per
row, the evidence bounds inside each row (the spoken words, the seen text: clips are
tight around these), and which option contributed what. Options of one query are
combined with the search's `operator`; combined-query nodes use the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EMPTY_ROWS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Hits:
    rows: np.ndarray  # int64, ascending, unique segment rows
    score: np.ndarray  # float32 (len(rows),)
    start: np.ndarray  # float64: evidence bounds within the row's segment
    end: np.ndarray
    # option -> score of that option's evidence in each row (0 where the option has none)
    by_option: dict[str, np.ndarray] = field(default_factory=dict)
    # (option, row) -> the text that matched verbatim (a transcript phrase, an on-screen text)
    texts: dict[tuple[str, int], str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def empty(cls) -> Hits:
        return cls(EMPTY_ROWS, np.zeros(0, np.float32), np.zeros(0), np.zeros(0))

    @classmethod
    def of_option(
        cls,
        option: str,
        rows: np.ndarray,
        score: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        texts: dict[tuple[str, int], str] | None = None,
    ) -> Hits:
        """Hits of one option from unsorted rows that may repeat: per row, the best score and widest bounds."""
        rows = np.asarray(rows, dtype=np.int64)
        unique, inverse = np.unique(rows, return_inverse=True)
        best = np.zeros(len(unique), dtype=np.float32)
        np.maximum.at(best, inverse, np.asarray(score, dtype=np.float32))
        low = np.full(len(unique), np.inf)
        high = np.full(len(unique), -np.inf)
        np.minimum.at(low, inverse, start)
        np.maximum.at(high, inverse, end)
        return cls(unique, best, low, high, {option: best.copy()}, dict(texts or {}))

    def select(self, keep: np.ndarray) -> Hits:
        """The hits at positions (or where the mask is true) `keep`."""
        rows = self.rows[keep]
        kept = set(rows.tolist()) if self.texts else set()
        return Hits(
            rows,
            self.score[keep],
            self.start[keep],
            self.end[keep],
            {option: values[keep] for option, values in self.by_option.items()},
            {key: text for key, text in self.texts.items() if key[1] in kept},
        )


def _aligned(parts: list[Hits], rows: np.ndarray) -> list[np.ndarray]:
    """For each part, the position of each of `rows` in it (-1 where absent)."""
    positions = []
    for part in parts:
        where = np.searchsorted(part.rows, rows)
        where = np.minimum(where, max(len(part.rows) - 1, 0))
        found = (part.rows[where] == rows) if len(part.rows) else np.zeros(len(rows), bool)
        positions.append(np.where(found, where, -1))
    return positions


def _combine(parts: list[Hits], rows: np.ndarray, *, score_of: str) -> Hits:
    positions = _aligned(parts, rows)
    scores = np.full((len(parts), len(rows)), np.nan, dtype=np.float32)
    start = np.full(len(rows), np.inf)
    end = np.full(len(rows), -np.inf)
    by_option: dict[str, np.ndarray] = {}
    texts: dict[tuple[str, int], str] = {}
    for number, (part, where) in enumerate(zip(parts, positions, strict=True)):
        present = where >= 0
        scores[number, present] = part.score[where[present]]
        start[present] = np.minimum(start[present], part.start[where[present]])
        end[present] = np.maximum(end[present], part.end[where[present]])
        for option, values in part.by_option.items():
            merged = by_option.setdefault(option, np.zeros(len(rows), dtype=np.float32))
            merged[present] = np.maximum(merged[present], values[where[present]])
        texts.update(part.texts)
    combined = np.nanmin(scores, axis=0) if score_of == "min" else np.nanmax(scores, axis=0)
    kept = set(rows.tolist())
    texts = {key: text for key, text in texts.items() if key[1] in kept}
    return Hits(rows, combined.astype(np.float32), start, end, by_option, texts)


def union(parts: list[Hits]) -> Hits:
    """`or`: a row passes if any part has it; its score is the best part's."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return Hits.empty()
    if len(parts) == 1:
        return parts[0]
    rows = parts[0].rows
    for part in parts[1:]:
        rows = np.union1d(rows, part.rows)
    return _combine(parts, rows, score_of="max")


def intersection(parts: list[Hits]) -> Hits:
    """`and`: a row passes if every part has it; its score is the weakest part's (all must hold)."""
    if not parts or any(len(part) == 0 for part in parts):
        return Hits.empty()
    rows = parts[0].rows
    for part in parts[1:]:
        rows = np.intersect1d(rows, part.rows, assume_unique=True)
    return _combine(parts, rows, score_of="min")


def difference(origin: Hits, sub: Hits) -> Hits:
    """`not`: the origin's rows that the sub-query does not hit."""
    if not len(sub):
        return origin
    return origin.select(~np.isin(origin.rows, sub.rows, assume_unique=True))


def in_order(parts: list[Hits], segment_video: np.ndarray, segment_start: np.ndarray) -> Hits:
    """`then`: hits of each part that come after a hit of the part before, in the same video.

    A row of part k is kept when some kept row of part k-1 in the same video starts
    earlier; a video counts only if the chain reaches the last part, and then the kept
    rows of every part are returned.
    """
    if not parts or any(len(part) == 0 for part in parts):
        return Hits.empty()
    videos = len(segment_video) and int(segment_video.max()) + 1
    kept: list[np.ndarray] = [np.ones(len(parts[0]), dtype=bool)]
    earliest = np.full(videos, np.inf)
    np.minimum.at(earliest, segment_video[parts[0].rows], segment_start[parts[0].rows])
    for part in parts[1:]:
        starts = segment_start[part.rows]
        mask = starts > earliest[segment_video[part.rows]]
        kept.append(mask)
        earliest = np.full(videos, np.inf)
        np.minimum.at(earliest, segment_video[part.rows[mask]], starts[mask])
    complete = np.isfinite(earliest)  # videos where the last part was reached in order
    selected = [part.select(mask & complete[segment_video[part.rows]]) for part, mask in zip(parts, kept, strict=True)]
    return union(selected)
