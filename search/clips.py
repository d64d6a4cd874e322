"""From segment hits to clips: merge, order, group.

Rows are stored in (video, position) order and a video's cells tile its timeline, so
hits on consecutive rows of one video are adjacent cells: they merge into one clip
(no clip ever overlaps another of the same search). A clip's start/end are the union
of its rows' evidence bounds (the words spoken, the text on screen), not the cells'
edges; its score is its best row's. All of this is vectorised with `reduceat`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from search.calibration import LOW
from search.hits import Hits
from search.matrix import IndexMatrices


@dataclass(frozen=True)
class ClipSet:
    """Clips of one or more indexes, as parallel arrays (one entry per clip)."""

    source: np.ndarray  # int32: which IndexMatrices of the search the clip comes from
    video: np.ndarray  # int32 video code within that index
    start: np.ndarray  # float64
    end: np.ndarray  # float64
    score: np.ndarray  # float32
    first_row: np.ndarray  # int64: the clip's rows are first_row..last_row
    last_row: np.ndarray
    option_score: dict[str, np.ndarray] = field(default_factory=dict)  # option -> best score of its evidence

    def __len__(self) -> int:
        return len(self.score)

    def take(self, order: np.ndarray) -> ClipSet:
        return ClipSet(
            self.source[order], self.video[order], self.start[order], self.end[order], self.score[order],
            self.first_row[order], self.last_row[order],
            {option: values[order] for option, values in self.option_score.items()},
        )  # fmt: skip


def form_clips(m: IndexMatrices, hits: Hits, *, source: int = 0, merge_floor: float = LOW) -> ClipSet:
    """Merge hits on adjacent rows of one video into clips.

    Only matches merge: rows scoring under `merge_floor` (present with threshold=none)
    stay clips of their own, or a weak guess would swallow a whole video.
    """
    rows = hits.rows
    video = m.segment_video[rows]
    if not len(rows):
        nothing = np.zeros(0, dtype=np.int64)
        return ClipSet(nothing.astype(np.int32), nothing.astype(np.int32), np.zeros(0), np.zeros(0),
                       np.zeros(0, np.float32), nothing, nothing)  # fmt: skip
    opens = np.ones(len(rows), dtype=bool)
    weak = hits.score < merge_floor
    opens[1:] = (np.diff(rows) != 1) | (video[1:] != video[:-1]) | weak[1:] | weak[:-1]
    heads = np.flatnonzero(opens)
    tails = np.append(heads[1:] - 1, len(rows) - 1)
    return ClipSet(
        source=np.full(len(heads), source, dtype=np.int32),
        video=video[heads],
        start=np.minimum.reduceat(hits.start, heads),
        end=np.maximum.reduceat(hits.end, heads),
        score=np.maximum.reduceat(hits.score, heads),
        first_row=rows[heads],
        last_row=rows[tails],
        option_score={option: np.maximum.reduceat(values, heads) for option, values in hits.by_option.items()},
    )


def concatenate(sets: list[ClipSet]) -> ClipSet:
    options = {option for clip_set in sets for option in clip_set.option_score}
    return ClipSet(
        source=np.concatenate([s.source for s in sets]),
        video=np.concatenate([s.video for s in sets]),
        start=np.concatenate([s.start for s in sets]),
        end=np.concatenate([s.end for s in sets]),
        score=np.concatenate([s.score for s in sets]),
        first_row=np.concatenate([s.first_row for s in sets]),
        last_row=np.concatenate([s.last_row for s in sets]),
        option_score={
            option: np.concatenate([s.option_score.get(option, np.zeros(len(s), np.float32)) for s in sets])
            for option in options
        },
    )


def _video_keys(clips: ClipSet) -> np.ndarray:
    """One integer per (source, video): clips of one video share it."""
    return clips.source.astype(np.int64) * (int(clips.video.max(initial=0)) + 1) + clips.video


def clip_counts(clips: ClipSet) -> np.ndarray:
    """For each clip, how many clips its video has in this result."""
    keys = _video_keys(clips)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse]


def order_clips(clips: ClipSet, *, sort_option: str) -> ClipSet:
    """Best first; `clip_count` puts the clips of videos with more clips first.

    Ties break on (source, video, start), so the order, and therefore every page, is
    the same each time the same search runs on the same content.
    """
    keys = [clips.start, clips.video, clips.source, -clips.score.astype(np.float64)]
    if sort_option == "clip_count":
        keys.append(-clip_counts(clips))
    return clips.take(np.lexsort(keys))


def video_groups(ordered: ClipSet, *, sort_option: str) -> list[np.ndarray]:
    """Clip positions of each video, videos in result order (best clip first, or most clips first)."""
    keys = _video_keys(ordered)
    if not len(keys):
        return []  # np.split of nothing is one empty group, not none
    _, first_seen, inverse = np.unique(keys, return_index=True, return_inverse=True)
    # A stable sort by video keeps each video's clips in result order.
    groups = np.split(np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse))[:-1])
    if sort_option == "clip_count":
        ranking = sorted(range(len(groups)), key=lambda n: (-len(groups[n]), first_seen[n]))
    else:
        ranking = sorted(range(len(groups)), key=lambda n: first_seen[n])
    return [groups[n] for n in ranking]
