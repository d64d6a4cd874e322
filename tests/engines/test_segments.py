"""The segment grid and what the engine puts in each cell."""

from __future__ import annotations

import numpy as np
import pytest

from engines.base import Shot, VideoAnalysis
from engines.local.segments import Cell, grid
from tests.videos import VideoTruth


def _shots(*bounds: float) -> list[Shot]:
    return [Shot(start=a, end=b, keyframe=a) for a, b in zip(bounds, bounds[1:], strict=False)]


def test_cells_restart_at_each_cut() -> None:
    cells = grid(_shots(0.0, 10.0, 13.0), 13.0, seconds=4.0)
    assert cells == [Cell(0.0, 4.0), Cell(4.0, 8.0), Cell(8.0, 10.0), Cell(10.0, 13.0)]


def test_a_short_remainder_joins_the_cell_before_it() -> None:
    assert grid(_shots(0.0, 8.6), 8.6, seconds=4.0) == [Cell(0.0, 4.0), Cell(4.0, 8.6)]


def test_a_shot_shorter_than_a_second_stays_its_own_cell() -> None:
    cells = grid(_shots(0.0, 5.0, 5.5, 9.0), 9.0, seconds=4.0)
    assert Cell(5.0, 5.5) in cells
    assert cells[:2] == [Cell(0.0, 4.0), Cell(4.0, 5.0)]  # a 1 s remainder is long enough


def test_the_grid_reaches_the_duration_even_if_the_last_shot_falls_short() -> None:
    cells = grid(_shots(0.0, 6.0), 6.4, seconds=4.0)
    assert cells[-1].end == 6.4


@pytest.mark.models
def test_segments_cover_the_video_without_gaps_or_straddled_cuts(
    analysis: VideoAnalysis, main_video: VideoTruth
) -> None:
    segments = analysis.segments
    assert segments[0].start == 0.0
    assert segments[-1].end == pytest.approx(main_video.duration)
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end == after.start
    assert all(s.end - s.start >= 0.99 for s in segments)
    cuts = [shot.start for shot in analysis.shots[1:]]
    assert cuts == pytest.approx(main_video.cuts, abs=0.2)
    for segment in segments:
        assert not any(segment.start < cut < segment.end for cut in cuts), segment


@pytest.mark.models
def test_segment_contents_follow_the_timeline(analysis: VideoAnalysis) -> None:
    first, *_ = analysis.segments
    pasta = next(s for s in analysis.segments if "pasta" in s.transcript.lower())
    assert 5.0 <= pasta.start < 10.0
    assert "NIKE AIR MAX" in first.on_screen_text and "Nike" in first.logos
    assert "Cooking Pasta Recipe" in pasta.on_screen_text
    last = analysis.segments[-1]
    assert last.transcript == "" and last.conversation_vector is None


@pytest.mark.models
def test_text_vectors_are_unit_384d(analysis: VideoAnalysis) -> None:
    vectors = [
        v for s in analysis.segments for v in (s.conversation_vector, s.text_vector, s.combined_vector) if v is not None
    ]
    assert len(vectors) >= 6
    for vector in vectors:
        assert vector.shape == (384,) and vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
    for segment in analysis.segments:
        assert (segment.conversation_vector is None) == (segment.transcript == "")
        assert (segment.text_vector is None) == (segment.on_screen_text == "")
