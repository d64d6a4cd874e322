"""The clips behind classes on videos: runs of segments where one prompt under one option passes.

Cut from the sparse hits scoring already found (scoring.Hits), so no similarity is
computed twice: hits are kept where they matter to a wanted (video, class), sorted by
(prompt, row), and split into runs where the prompt, the video or the row sequence
changes. A node's clips include its descendants' (see scoring.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from taxonomy.scoring import Grid, Hits, ScoringClass, subtrees


@dataclass(frozen=True)
class Clip:
    start: float
    end: float
    score: float
    option: str
    prompt: str


def _runs(rows: np.ndarray, columns: np.ndarray, video_of_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last position of each run in hits sorted by (column, row)."""
    breaks = np.ones(len(rows), dtype=bool)
    breaks[1:] = (
        (columns[1:] != columns[:-1])
        | (rows[1:] != rows[:-1] + 1)
        | (video_of_row[rows[1:]] != video_of_row[rows[:-1]])
    )
    firsts = np.nonzero(breaks)[0]
    return firsts, np.append(firsts[1:], len(rows)) - 1


def clips_for(
    grid: Grid,
    hits: Sequence[Hits],
    classes: Sequence[ScoringClass],
    *,
    wanted: Sequence[tuple[int, int]],
) -> dict[tuple[int, int], list[Clip]]:
    """(video, class) -> its clips, best first, for every wanted pair."""
    if not wanted:
        return {}
    video_of_row = grid.video_of_rows()
    members = subtrees(classes)
    # (video, class) pairs whose own clips some wanted pair includes.
    relevant = {(video, member) for video, cls in wanted for member in members[cls]}
    own: dict[tuple[int, int], list[Clip]] = defaultdict(list)
    for found in hits:
        users: dict[int, list[int]] = defaultdict(list)
        for number, scoring_class in enumerate(classes):
            for column in scoring_class.columns.get(found.key, ()):
                users[column].append(number)
        videos, columns = [], []
        for video, number in relevant:
            for column in classes[number].columns.get(found.key, ()):
                videos.append(video)
                columns.append(column)
        if not columns or not len(found.rows):
            continue
        keep_pair = np.zeros((len(grid.video_ids), len(found.prompts)), dtype=bool)
        keep_pair[videos, columns] = True
        keep = keep_pair[video_of_row[found.rows], found.columns]
        if not keep.any():
            continue
        order = np.lexsort((found.rows[keep], found.columns[keep]))
        rows, cols, scores = found.rows[keep][order], found.columns[keep][order], found.scores[keep][order]
        firsts, lasts = _runs(rows, cols, video_of_row)
        best = np.maximum.reduceat(scores, firsts)
        for first, last, top in zip(firsts.tolist(), lasts.tolist(), best.tolist(), strict=True):
            column, video = int(cols[first]), int(video_of_row[rows[first]])
            clip = Clip(
                float(grid.starts[rows[first]]), float(grid.ends[rows[last]]), round(top, 2), found.option,
                found.prompts[column],
            )  # fmt: skip
            for number in users[column]:
                if (video, number) in relevant:
                    own[(video, number)].append(clip)
    result: dict[tuple[int, int], list[Clip]] = {}
    for video, cls in wanted:
        clips = {clip for member in members[cls] for clip in own.get((video, member), ())}
        result[(video, cls)] = sorted(clips, key=lambda clip: (-clip.score, clip.start, clip.prompt, clip.option))
    return result
