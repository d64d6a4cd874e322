"""Scoring classes against segment matrices, for every video of a selection at once. No Django.

Definitions (docs/classification.md explains them for users):

* A segment's evidence for a class is the best calibrated score (0-100, the search score
  scale) of any of the class's prompts under any of its options on that segment, counted
  only when it reaches `min_clip_score`; for a taxonomy node, its descendants' prompts
  count too.
* A clip is a run of consecutive segments where one prompt under one option scores at
  least `min_clip_score`; its score is the best segment score in the run (clips.py).
* duration_ratio = length of the segments with evidence, plus the pauses between them
  and a short lead-in and tail, / video duration. A pause (segments without evidence) of at most `bridge_seconds`
  between two segments with evidence for the class counts as covered, provided no other
  class of the request has evidence there (that time is about something else, not a
  pause): a video whose three sentences are all about pasta is about pasta from the first
  to the last, not only for the seconds the words
  are said. For a class the video comes back to after such a pause, the time before the
  first and after the last evidence counts too when it is at most half of
  `bridge_seconds` and shorter than the first-to-last stretch (an intro and an outro; a
  lone mention is never stretched over the video).
* The class score is the duration-weighted mean, over that union, of the segment evidence:
  "how strongly the class shows where it shows". A class is returned for a video when its
  score >= `min_video_score` and its duration_ratio >= `min_duration_ratio`.
* Roll-up: a node that does not pass on its own, but has a descendant that passes, is
  still labeled (a label on "Cars" implies "Automotive"), with the best passing
  descendant's score and its own duration_ratio (which covers the descendant's).

Everything is vectorised, and each channel's matrix product happens once: per chunk of
rows, all its prompts against all its segment vectors. Only cosines at or above the clip
floor (`Calibration.floor`, exact because calibration is monotone) are calibrated and
kept, as sparse hits; class evidence is the max of the hits over each class's prompts,
and the clips (clips.py) are cut from the same hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

EPSILON = 1e-6


class Calibration(Protocol):
    """Raw similarity of an option's space -> score in [0, 100]; monotone increasing."""

    def scores(self, option: str, similarities: np.ndarray) -> np.ndarray: ...

    def floor(self, option: str, score: float) -> float:
        """The lowest similarity that scores `score`."""
        ...


@dataclass(frozen=True)
class Grid:
    """The segments of the scored videos, rows sorted by video then time."""

    video_ids: tuple[str, ...]
    offsets: np.ndarray  # (videos + 1,): the rows of video i are offsets[i]:offsets[i + 1]
    starts: np.ndarray  # (rows,)
    ends: np.ndarray  # (rows,)
    durations: np.ndarray  # (videos,)

    @property
    def lengths(self) -> np.ndarray:
        return np.maximum(self.ends - self.starts, 0.0)

    def video_of_rows(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.video_ids)), np.diff(self.offsets))


@dataclass(frozen=True)
class Channel:
    """One source of evidence over the grid.

    Semantic: `matrix` holds segment vectors and `queries` the prompt vectors; a score is
    calibration.scores(option, cosine). Exact match: `queries` is None and `matrix`
    already holds the score of each prompt in each segment (0 where the words were not said).
    """

    key: str
    option: str
    rows: np.ndarray  # (k,) ascending grid rows that `matrix` rows stand for
    matrix: np.ndarray  # (k, d) or (k, prompts)
    prompts: tuple[str, ...]
    queries: np.ndarray | None = None  # (prompts, d)

    def raw(self, selection: slice) -> np.ndarray:
        """Similarities (or exact-match scores) of the selected matrix rows against every prompt."""
        block = self.matrix[selection]
        if self.queries is None:
            return block
        # Search keeps float16 matrices (half the memory); with many prompts at once, widening a
        # chunk to float32 costs a few ms and buys float32 BLAS for the product (numpy has no
        # float16 kernel, and torch's CPU float16 matrix product is slower than the widening).
        return block.astype(np.float32, copy=False) @ self.queries.T

    def passing(
        self, raw: np.ndarray, calibration: Calibration, minimum: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, score) of the entries of `raw` that score at least `minimum`."""
        floor = minimum if self.queries is None else calibration.floor(self.option, minimum)
        rows, columns = np.nonzero(raw >= floor - EPSILON)
        values = raw[rows, columns]
        scores = values.astype(np.float32) if self.queries is None else calibration.scores(self.option, values)
        keep = scores >= minimum - EPSILON
        return rows[keep], columns[keep], scores[keep]


@dataclass(frozen=True)
class ScoringClass:
    name: str
    # channel key -> the prompt columns of that channel this class uses
    columns: dict[str, tuple[int, ...]]
    parent: int = -1  # index of the parent class (parents are listed before children)


@dataclass(frozen=True)
class Thresholds:
    """The API's defaults: a class must score 75 over at least half the video, from clips of 65 or more."""

    min_video_score: float = 75.0
    min_clip_score: float = 65.0
    min_duration_ratio: float = 0.5
    # Longest pause between two segments with evidence that still counts as about the class.
    bridge_seconds: float = 10.0


@dataclass(frozen=True)
class ClassResult:
    video: int  # index into grid.video_ids
    cls: int  # index into the classes
    score: float
    duration_ratio: float
    implied: bool = False  # passed only through a descendant (roll-up)


@dataclass(frozen=True)
class Hits:
    """Every (segment, prompt) of one channel that scored at least `min_clip_score`: clips are cut from these."""

    key: str
    option: str
    prompts: tuple[str, ...]
    rows: np.ndarray  # grid rows
    columns: np.ndarray  # prompt columns of the channel
    scores: np.ndarray  # float32


@dataclass(frozen=True)
class Scored:
    results: list[ClassResult]
    hits: list[Hits]


@dataclass(frozen=True)
class _Owners:
    """Which classes use each prompt column of a channel, as CSR arrays (a prompt may serve several classes)."""

    pointers: np.ndarray  # (prompts + 1,)
    classes: np.ndarray  # (pointers[-1],)

    @classmethod
    def of(cls, classes: Sequence[ScoringClass], channel: Channel) -> _Owners:
        users: list[list[int]] = [[] for _ in channel.prompts]
        for number, scoring_class in enumerate(classes):
            for column in scoring_class.columns.get(channel.key, ()):
                users[column].append(number)
        counts = np.array([len(owners) for owners in users], dtype=np.int64)
        return cls(
            pointers=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            classes=np.array([number for owners in users for number in owners], dtype=np.int64),
        )

    def expand(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For hits on `columns`: (index of the hit, owning class) for every owner of every hit."""
        counts = self.pointers[columns + 1] - self.pointers[columns]
        if len(counts) and counts.min() == 1 and counts.max() == 1:  # the usual case: one class per prompt
            return np.arange(len(columns)), self.classes[self.pointers[columns]]
        hit = np.repeat(np.arange(len(columns)), counts)
        step = np.arange(len(hit)) - np.repeat(np.cumsum(counts) - counts, counts)
        return hit, self.classes[self.pointers[columns][hit] + step]


def subtrees(classes: Sequence[ScoringClass]) -> list[list[int]]:
    """Each class and all classes below it."""
    members: list[list[int]] = [[number] for number in range(len(classes))]
    for number in range(len(classes) - 1, -1, -1):  # children come after their parents
        parent = classes[number].parent
        if parent >= 0:
            members[parent].extend(members[number])
    return members


def _chunks(grid: Grid, chunk_rows: int) -> list[tuple[int, int]]:
    """Runs of whole videos of about `chunk_rows` rows (a video is never split)."""
    bounds = np.searchsorted(grid.offsets, np.arange(0, int(grid.offsets[-1]), chunk_rows), side="right") - 1
    firsts = sorted(set(bounds.tolist()) | {0})
    return list(zip(firsts, [*firsts[1:], len(grid.video_ids)], strict=True))


def _chunk_evidence(
    grid: Grid,
    channels: Sequence[Channel],
    owners: dict[str, _Owners],
    classes: Sequence[ScoringClass],
    calibration: Calibration,
    *,
    min_clip_score: float,
    first_video: int,
    last_video: int,
    hits: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]],
) -> np.ndarray:
    """(classes, rows) evidence for videos first:last: the best score >= min_clip_score, else 0.

    Appends the chunk's passing (grid row, column, score) entries to `hits` on the way.
    """
    row_first, row_last = int(grid.offsets[first_video]), int(grid.offsets[last_video])
    evidence = np.zeros((len(classes), row_last - row_first), dtype=np.float32)
    for channel in channels:
        lo, hi = np.searchsorted(channel.rows, [row_first, row_last])
        if hi <= lo:
            continue
        rows, columns, scores = channel.passing(channel.raw(slice(lo, hi)), calibration, min_clip_score)
        grid_rows = channel.rows[lo:hi][rows]
        hits[channel.key].append((grid_rows, columns, scores))
        hit, owner = owners[channel.key].expand(columns)
        np.maximum.at(evidence, (owner, grid_rows[hit] - row_first), scores[hit])
    for number in range(len(classes) - 1, -1, -1):  # a node's evidence includes its descendants'
        parent = classes[number].parent
        if parent >= 0:
            np.maximum(evidence[parent], evidence[number], out=evidence[parent])
    return evidence


def score_videos(
    grid: Grid,
    channels: Sequence[Channel],
    classes: Sequence[ScoringClass],
    thresholds: Thresholds,
    calibration: Calibration,
    *,
    chunk_rows: int = 16_384,
) -> Scored:
    """Every (video, class) that passes the thresholds, directly or by roll-up, and the hits behind them."""
    channels = [channel for channel in channels if any(channel.key in cls.columns for cls in classes)]
    if not classes or not grid.video_ids:
        return Scored(results=[], hits=[])
    owners = {channel.key: _Owners.of(classes, channel) for channel in channels}
    found: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {channel.key: [] for channel in channels}
    lengths = grid.lengths.astype(np.float32)
    results: list[ClassResult] = []
    for first, last in _chunks(grid, chunk_rows):
        evidence = _chunk_evidence(
            grid, channels, owners, classes, calibration,
            min_clip_score=thresholds.min_clip_score, first_video=first, last_video=last, hits=found,
        )  # fmt: skip
        row_first = int(grid.offsets[first])
        bounds = grid.offsets[first:last] - row_first
        chunk_lengths = lengths[row_first : int(grid.offsets[last])]
        seen = evidence > 0
        covered_length = np.add.reduceat(seen * chunk_lengths, bounds, axis=1)
        weighted = np.add.reduceat(evidence * chunk_lengths, bounds, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = np.where(covered_length > 0, weighted / covered_length, 0.0)
        about = seen | _bridged(grid, seen, first, last, thresholds.bridge_seconds)
        about_length = np.add.reduceat(about * chunk_lengths, bounds, axis=1)
        ratios = np.minimum(about_length / np.maximum(grid.durations[first:last], EPSILON), 1.0)
        results.extend(_passing(scores, ratios, classes, thresholds, first))
    hits = [
        Hits(
            key=channel.key,
            option=channel.option,
            prompts=channel.prompts,
            rows=np.concatenate([part[0] for part in found[channel.key]] or [np.zeros(0, np.int64)]),
            columns=np.concatenate([part[1] for part in found[channel.key]] or [np.zeros(0, np.int64)]),
            scores=np.concatenate([part[2] for part in found[channel.key]] or [np.zeros(0, np.float32)]),
        )
        for channel in channels
    ]
    return Scored(results=results, hits=hits)


def _bridged(grid: Grid, seen: np.ndarray, first_video: int, last_video: int, bridge: float) -> np.ndarray:
    """(classes, rows) of videos first:last: rows without evidence inside a pause short enough to bridge.

    Vectorised with one running max/min per class: times are offset by video so that the
    previous evidence end and the next evidence start never come from another video.
    """
    row_first, row_last = int(grid.offsets[first_video]), int(grid.offsets[last_video])
    starts, ends = grid.starts[row_first:row_last], grid.ends[row_first:row_last]
    videos = grid.video_of_rows()[row_first:row_last]
    durations = grid.durations[videos]
    offset = videos * (float(grid.durations[first_video:last_video].max(initial=0.0)) + 2.0 * bridge + 1.0)
    previous = np.maximum.accumulate(np.where(seen, offset + ends, -np.inf), axis=1) - offset
    following = (np.minimum.accumulate(np.where(seen, offset + starts, np.inf)[:, ::-1], axis=1)[:, ::-1]) - offset
    has_previous, has_following = previous >= -EPSILON, following <= durations + EPSILON
    inside = has_previous & has_following & (following - previous <= bridge + EPSILON)
    quiet = ~seen.any(axis=0)  # no class of the request has evidence: a pause, not another topic
    pauses = ~seen & quiet & inside
    # The lead-in before the first mention and the tail after the last are about the class
    # too, for a class the video comes back to after a pause (so never a lone mention),
    # when each is at most half a bridge and shorter than the stretch the mentions span.
    bounds = grid.offsets[first_video:last_video] - row_first
    of_row = videos - first_video
    returns = (np.add.reduceat(pauses, bounds, axis=1) > 0)[:, of_row]
    first = np.minimum.reduceat(np.where(seen, starts, np.inf), bounds, axis=1)[:, of_row]
    last = np.maximum.reduceat(np.where(seen, ends, -np.inf), bounds, axis=1)[:, of_row]
    edge = np.minimum(bridge / 2.0, last - first) + EPSILON
    lead_in = ~has_previous & has_following & (first <= edge)
    tail = has_previous & ~has_following & (durations - last <= edge)
    return pauses | (~seen & quiet & returns & (lead_in | tail))


def _passing(
    scores: np.ndarray,
    ratios: np.ndarray,
    classes: Sequence[ScoringClass],
    thresholds: Thresholds,
    first_video: int,
) -> list[ClassResult]:
    """Threshold a (classes, videos) block, then give labeled nodes' ancestors their roll-up."""
    passes = (scores >= thresholds.min_video_score - EPSILON) & (ratios >= thresholds.min_duration_ratio - EPSILON)
    # Best passing score in each node's subtree, children first.
    subtree_best = np.where(passes, scores, -1.0)
    for number in range(len(classes) - 1, -1, -1):
        parent = classes[number].parent
        if parent >= 0:
            np.maximum(subtree_best[parent], subtree_best[number], out=subtree_best[parent])
    results: list[ClassResult] = []
    for cls, video in zip(*np.nonzero(subtree_best >= 0), strict=True):
        own = bool(passes[cls, video])
        results.append(
            ClassResult(
                video=first_video + int(video),
                cls=int(cls),
                score=float(scores[cls, video] if own else subtree_best[cls, video]),
                duration_ratio=float(ratios[cls, video]),
                implied=not own,
            )
        )
    return results
