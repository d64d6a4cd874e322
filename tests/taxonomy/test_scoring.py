"""The scoring rules on hand-built grids, where every number can be worked out on paper.

Each test builds segment vectors equal to prompt vectors where a prompt should match,
and an identity "calibration" (score = 100 x cosine), so segment scores are exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from taxonomy.clips import clips_for
from taxonomy.scoring import Channel, ClassResult, Grid, ScoringClass, Thresholds, score_videos

DIMENSIONS = 8
# Unit basis vectors: prompt k matches exactly the segments whose vector is e_k.
E = np.eye(DIMENSIONS, dtype=np.float32)


class Identity:
    """score = 100 x cosine, so every number below can be worked out by hand."""

    def scores(self, option: str, similarities: np.ndarray) -> np.ndarray:
        return np.clip(similarities, 0, 1).astype(np.float32) * 100

    def floor(self, option: str, score: float) -> float:
        return score / 100


identity = Identity()


def results_of(*args: Any, **kwargs: Any) -> list[ClassResult]:
    return score_videos(*args, **kwargs).results


def clips_of(g: Grid, channels: list[Channel], classes: list[ScoringClass], cls: int, minimum: float) -> list:
    hits = score_videos(g, channels, classes, Thresholds(100, minimum, 1.0), identity).hits
    return clips_for(g, hits, classes, wanted=[(0, cls)])[(0, cls)]


def grid(*videos: list[tuple[float, float]]) -> Grid:
    starts = [start for video in videos for start, _ in video]
    ends = [end for video in videos for _, end in video]
    offsets = np.cumsum([0] + [len(video) for video in videos])
    return Grid(
        video_ids=tuple(f"v{n}" for n in range(len(videos))),
        offsets=offsets,
        starts=np.array(starts),
        ends=np.array(ends),
        durations=np.array([video[-1][1] for video in videos]),
    )


def channel(vectors: list[np.ndarray], prompts: int, *, key: str = "conversation") -> Channel:
    return Channel(
        key=key,
        option=key,
        rows=np.arange(len(vectors)),
        matrix=np.stack(vectors).astype(np.float32),
        prompts=tuple(f"p{k}" for k in range(prompts)),
        queries=E[:prompts],
    )


def mix(k: int, weight: float) -> np.ndarray:
    """A unit vector whose cosine with prompt k is `weight` (the rest points at e_7, no prompt)."""
    vector = weight * E[k] + np.sqrt(1 - weight**2) * E[7]
    return vector / np.linalg.norm(vector)


# No pause bridging: these tests measure the segments with evidence themselves.
LOOSE = Thresholds(min_video_score=0, min_clip_score=50, min_duration_ratio=0.01, bridge_seconds=0.0)


def test_duration_ratio_is_the_union_of_clips_and_score_the_time_weighted_evidence() -> None:
    # One 10 s video: 0-4 s prompt 0 at 90, 4-6 s prompts 0 (70) and 1 (80), 6-10 s nothing.
    g = grid([(0, 4), (4, 6), (6, 10)])
    overlap = 0.7 * E[0] + 0.8 * E[1]
    ch = channel([mix(0, 0.9), overlap / np.linalg.norm(overlap) * np.sqrt(0.7**2 + 0.8**2), E[7]], 2)
    cls = ScoringClass("C", {"conversation": (0, 1)})
    [result] = results_of(g, [ch], [cls], LOOSE, identity)
    assert result.duration_ratio == pytest.approx(0.6)  # 0-6 s of 10 s, counted once
    # Segment evidence is the best prompt per segment: (90 x 4 s + 80 x 2 s) / 6 s.
    assert result.score == pytest.approx((90 * 4 + 80 * 2) / 6, abs=1e-3)

    clips = clips_of(g, [ch], [cls], 0, 50)
    assert [(c.start, c.end, c.prompt, round(c.score)) for c in clips] == [
        (0, 6, "p0", 90),  # a run of two consecutive passing segments is one clip, scored by its best
        (4, 6, "p1", 80),
    ]


def test_min_clip_score_decides_what_counts_as_covered() -> None:
    g = grid([(0, 5), (5, 10)])
    ch = channel([mix(0, 0.9), mix(0, 0.6)], 1)
    cls = [ScoringClass("C", {"conversation": (0,)})]
    [both] = results_of(g, [ch], cls, LOOSE, identity)
    assert (both.duration_ratio, round(both.score)) == (1.0, 75)
    [strong_only] = results_of(g, [ch], cls, Thresholds(0, 70, 0.01, bridge_seconds=0.0), identity)
    assert (strong_only.duration_ratio, round(strong_only.score)) == (0.5, 90)


def test_the_fifty_percent_rule_and_the_video_score_drop_classes() -> None:
    g = grid([(0, 4), (4, 10)], [(0, 6), (6, 10)])  # v0: 40 % strong; v1: 60 % strong
    ch = channel([mix(0, 0.95), E[7], mix(0, 0.95), E[7]], 1)
    cls = [ScoringClass("C", {"conversation": (0,)})]
    default = Thresholds(min_video_score=75, min_clip_score=65, min_duration_ratio=0.5, bridge_seconds=0.0)
    assert [(r.video, r.duration_ratio) for r in results_of(g, [ch], cls, default, identity)] == [(1, 0.6)]
    relaxed = Thresholds(min_video_score=75, min_clip_score=65, min_duration_ratio=0.4, bridge_seconds=0.0)
    assert len(results_of(g, [ch], cls, relaxed, identity)) == 2
    demanding = Thresholds(min_video_score=96, min_clip_score=65, min_duration_ratio=0.1)
    assert results_of(g, [ch], cls, demanding, identity) == []


def test_options_are_separate_channels_and_a_class_only_uses_its_own() -> None:
    g = grid([(0, 5), (5, 10)])
    spoken = channel([mix(0, 0.9), E[7]], 1, key="conversation")
    shown = channel([E[7], mix(0, 0.8)], 1, key="text_in_video")
    both = ScoringClass("both", {"conversation": (0,), "text_in_video": (0,)})
    said = ScoringClass("said", {"conversation": (0,)})
    results = {r.cls: r for r in results_of(g, [spoken, shown], [both, said], LOOSE, identity)}
    assert results[0].duration_ratio == 1.0 and results[0].score == pytest.approx(85, abs=1e-3)
    assert results[1].duration_ratio == 0.5
    clips = clips_of(g, [spoken, shown], [both, said], 0, 50)
    assert [(c.option, c.start) for c in clips] == [("conversation", 0), ("text_in_video", 5)]


def test_a_node_includes_its_descendants_evidence_and_a_labeled_child_implies_its_ancestors() -> None:
    # Root "Animals" (prompt 0) > "Pets" (prompt 1) > "Dogs" (prompt 2); "Cars" (prompt 3) is a second root.
    g = grid([(0, 5), (5, 10)])
    ch = channel([mix(2, 0.9), mix(2, 0.9)], 4)  # the whole video is about dogs only
    classes = [
        ScoringClass("Animals", {"conversation": (0,)}),
        ScoringClass("Pets", {"conversation": (1,)}, parent=0),
        ScoringClass("Dogs", {"conversation": (2,)}, parent=1),
        ScoringClass("Cars", {"conversation": (3,)}),
    ]
    results = {classes[r.cls].name: r for r in results_of(g, [ch], classes, Thresholds(75, 65, 0.5), identity)}
    assert set(results) == {"Animals", "Pets", "Dogs"}
    # Ancestors score on their descendants' evidence: they pass on their own here.
    assert [results[n].implied for n in ("Animals", "Pets", "Dogs")] == [False, False, False]
    assert results["Animals"].score == pytest.approx(results["Dogs"].score)

    clips = clips_of(g, [ch], classes, 0, 65)
    assert [(c.prompt, c.start, c.end) for c in clips] == [("p2", 0, 10)]


def test_roll_up_gives_an_ancestor_the_best_passing_descendant_score() -> None:
    # "Pets" has two children: "Dogs" strong on 0-6 s, "Cats" weaker on 6-10 s. Pets' own
    # time-weighted score (over 0-10 s) is below the threshold, but Dogs passes: Pets is implied.
    g = grid([(0, 6), (6, 10)])
    ch = channel([mix(1, 0.9), mix(2, 0.66)], 3)
    classes = [
        ScoringClass("Pets", {"conversation": (0,)}),
        ScoringClass("Dogs", {"conversation": (1,)}, parent=0),
        ScoringClass("Cats", {"conversation": (2,)}, parent=0),
    ]
    rule = Thresholds(min_video_score=82, min_clip_score=65, min_duration_ratio=0.5)  # Pets alone: 80.4
    results = {classes[r.cls].name: r for r in results_of(g, [ch], classes, rule, identity)}
    assert set(results) == {"Pets", "Dogs"}
    assert results["Pets"].implied and not results["Dogs"].implied
    assert results["Pets"].score == pytest.approx(90, abs=1e-3)  # the best passing descendant's
    assert results["Pets"].duration_ratio == 1.0  # its own: the union of both children's clips


def test_videos_are_scored_in_chunks_with_the_same_result() -> None:
    rng = np.random.default_rng(7)
    videos = [[(float(s), float(s + 2)) for s in range(0, 2 * int(n), 2)] for n in rng.integers(1, 9, size=40)]
    g = grid(*videos)
    vectors = [
        mix(int(k), float(w))
        for k, w in zip(rng.integers(0, 3, len(g.starts)), rng.uniform(0.5, 1, len(g.starts)), strict=True)
    ]
    ch = channel(vectors, 3)
    classes = [ScoringClass(f"c{k}", {"conversation": (k,)}) for k in range(3)]
    whole = results_of(g, [ch], classes, LOOSE, identity, chunk_rows=10_000)
    chunked = results_of(g, [ch], classes, LOOSE, identity, chunk_rows=7)
    key = lambda r: (r.video, r.cls)  # noqa: E731
    assert sorted(whole, key=key) == pytest.approx(sorted(chunked, key=key))
    assert len(whole) > 40


def test_clips_of_many_videos_never_run_across_a_video_boundary() -> None:
    # v0 ends and v1 starts with the same strong prompt: adjacent rows, two videos, two clips.
    g = grid([(0, 4), (4, 8)], [(0, 4), (4, 8)])
    ch = channel([E[7], mix(0, 0.9), mix(0, 0.8), E[7]], 1)
    cls = [ScoringClass("C", {"conversation": (0,)})]
    hits = score_videos(g, [ch], cls, LOOSE, identity).hits
    found = clips_for(g, hits, cls, wanted=[(0, 0), (1, 0)])
    assert [(c.start, c.end, round(c.score)) for c in found[(0, 0)]] == [(4, 8, 90)]
    assert [(c.start, c.end, round(c.score)) for c in found[(1, 0)]] == [(0, 4, 80)]
    # A channel with hits only where nothing is wanted adds nothing (and breaks nothing).
    shown = channel([mix(0, 0.9), E[7], E[7], E[7]], 1, key="text_in_video")
    both = [ScoringClass("C", {"conversation": (0,), "text_in_video": (0,)})]
    hits = score_videos(g, [ch, shown], both, LOOSE, identity).hits
    assert [c.option for c in clips_for(g, hits, both, wanted=[(1, 0)])[(1, 0)]] == ["conversation"]


def test_float16_matrices_as_search_keeps_them_score_like_float32() -> None:
    g = grid([(0, 4), (4, 8)], [(0, 4)])
    vectors = [mix(0, 0.9), mix(1, 0.7), mix(0, 0.66)]
    classes = [ScoringClass("A", {"conversation": (0,)}), ScoringClass("B", {"conversation": (1,)})]
    wide = results_of(g, [channel(vectors, 2)], classes, LOOSE, identity)
    half = channel(vectors, 2)
    half = Channel(half.key, half.option, half.rows, half.matrix.astype(np.float16), half.prompts, half.queries)
    narrow = results_of(g, [half], classes, LOOSE, identity)
    assert [(r.video, r.cls, r.duration_ratio) for r in narrow] == [(r.video, r.cls, r.duration_ratio) for r in wide]
    assert [r.score for r in narrow] == pytest.approx([r.score for r in wide], abs=0.1)


def test_pauses_between_mentions_of_one_class_count_as_about_it() -> None:
    # 30 s: evidence at 0-4, 8-12 and 20-24 s (pauses of 4 and 8 s), then a 6 s tail.
    g = grid([(0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 24), (24, 30)])
    ch = channel([mix(0, 0.9), E[7], mix(0, 0.9), E[7], E[7], mix(0, 0.9), E[7]], 1)
    cls = [ScoringClass("C", {"conversation": (0,)})]
    bridged = Thresholds(min_video_score=0, min_clip_score=50, min_duration_ratio=0.01, bridge_seconds=10.0)
    [result] = results_of(g, [ch], cls, bridged, identity)
    # Both pauses (<= 10 s) are covered; the 6 s tail is longer than half of 10 s: 24 of 30 s.
    assert result.duration_ratio == pytest.approx(24 / 30)
    assert result.score == pytest.approx(90, abs=1e-3)  # the score stays that of the evidence itself
    short = Thresholds(min_video_score=0, min_clip_score=50, min_duration_ratio=0.01, bridge_seconds=5.0)
    [result] = results_of(g, [ch], cls, short, identity)
    assert result.duration_ratio == pytest.approx(16 / 30)  # only the 4 s pause is bridged

    # Within one video only: the end of one video and the start of the next are no pause.
    two = grid([(0, 4), (4, 12)], [(0, 8), (8, 12)])
    ch = channel([mix(0, 0.9), E[7], E[7], mix(0, 0.9)], 1)
    results = results_of(two, [ch], cls, bridged, identity)
    assert sorted(r.duration_ratio for r in results) == pytest.approx([4 / 12, 4 / 12])


def test_time_about_another_class_is_not_a_pause() -> None:
    # 0-5 s cooking, 5-10 s cars: the cars half is not a tail of the cooking half.
    g = grid([(0, 5), (5, 10)])
    ch = channel([mix(0, 0.9), mix(1, 0.9)], 2)
    classes = [ScoringClass("Cooking", {"conversation": (0,)}), ScoringClass("Cars", {"conversation": (1,)})]
    bridged = Thresholds(min_video_score=0, min_clip_score=50, min_duration_ratio=0.01, bridge_seconds=10.0)
    assert [r.duration_ratio for r in results_of(g, [ch], classes, bridged, identity)] == [0.5, 0.5]


def test_a_short_lead_in_and_tail_around_mentions_are_about_the_class() -> None:
    # 15 s, three sentences about pasta at 1-4, 5.5-9 and 10.5-14 s: about pasta for all 15 s.
    g = grid([(0, 1), (1, 4), (4, 5.5), (5.5, 9), (9, 10.5), (10.5, 14), (14, 15)])
    ch = channel([E[7], E[0], E[7], E[0], E[7], E[0], E[7]], 1)
    cls = [ScoringClass("Pasta", {"conversation": (0,)})]
    bridged = Thresholds(min_video_score=0, min_clip_score=50, min_duration_ratio=0.01, bridge_seconds=10.0)
    [result] = results_of(g, [ch], cls, bridged, identity)
    assert result.duration_ratio == pytest.approx(1.0)
    assert result.score == pytest.approx(100, abs=1e-3)


def test_a_lone_mention_is_not_stretched_over_the_video() -> None:
    # One 4 s mention at 5-9 s of 15, and one at 9-13 s (a 2 s tail, but nothing to come back to).
    g = grid([(0, 5), (5, 9), (9, 15)])
    ch = channel([E[7], E[0], E[7]], 1)
    cls = [ScoringClass("Pasta", {"conversation": (0,)})]
    bridged = Thresholds(min_video_score=0, min_clip_score=50, min_duration_ratio=0.01, bridge_seconds=10.0)
    [result] = results_of(g, [ch], cls, bridged, identity)
    assert result.duration_ratio == pytest.approx(4 / 15)
    ch = channel([E[7], E[7], E[0], E[7]], 1)
    [result] = results_of(grid([(0, 5), (5, 9), (9, 13), (13, 15)]), [ch], cls, bridged, identity)
    assert result.duration_ratio == pytest.approx(4 / 15)
    # A lead-in about another class is not an intro to this one.
    ch = channel([E[1], E[0], E[0]], 2)
    classes = [ScoringClass("Pasta", {"conversation": (0,)}), ScoringClass("Cars", {"conversation": (1,)})]
    ratios = {r.cls: r.duration_ratio for r in results_of(g, [ch], classes, bridged, identity)}
    assert ratios == pytest.approx({0: 10 / 15, 1: 5 / 15})
