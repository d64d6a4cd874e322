"""On-screen text: which samples are read, how reads become spans, and what the engine finds."""

from __future__ import annotations

import numpy as np
import pytest

from engines.base import LOGO, TEXT_IN_VIDEO, VideoAnalysis
from engines.local.engine import LocalEngine
from engines.local.ocr import Detection, OcrSession, get_reader
from engines.local.text_tracking import OcrScheduler, TextTracker, compact_key
from tests.engines.conftest import Analyze
from tests.videos import VideoTruth

TOLERANCE = 1.5
BOX = (0.1, 0.1, 0.5, 0.2)


def _detections(*texts: str) -> list[Detection]:
    return [Detection(text=text, box=BOX, confidence=0.95) for text in texts]


def _found(analysis: VideoAnalysis, text: str) -> list:
    return [span for span in analysis.texts if compact_key(span.value) == compact_key(text)]


# -- reading schedule --------------------------------------------------------------


def test_an_unchanged_picture_is_read_once() -> None:
    scheduler = OcrScheduler(interval=1.0)
    picture = np.full((90, 160), 80, dtype=np.int16)
    assert scheduler.should_read(0.0, picture, is_cut=True)
    scheduler.record(0.0, picture, _detections("HELLO"), is_cut=True)
    assert not any(scheduler.should_read(t, picture.copy(), is_cut=False) for t in range(1, 30))


def test_a_caption_appearing_on_a_still_picture_is_read_at_once() -> None:
    scheduler = OcrScheduler(interval=1.0)
    picture = np.full((90, 160), 80, dtype=np.int16)
    scheduler.record(0.0, picture, [], is_cut=True)
    captioned = picture.copy()
    captioned[60:70, 20:90] = 250
    assert scheduler.should_read(1.0, captioned, is_cut=False)


def test_a_moving_picture_with_the_same_text_is_read_less_and_less_often() -> None:
    scheduler = OcrScheduler(interval=1.0, max_gap=4.0)
    rng = np.random.default_rng(0)
    reads = []
    for t in range(20):
        frame = rng.integers(0, 255, (90, 160)).astype(np.int16)
        if scheduler.should_read(float(t), frame, is_cut=t == 0):
            # A clock ticking in the corner is not a new caption.
            scheduler.record(float(t), frame, _detections("BREAKING NEWS", f"12:{t:02d}"), is_cut=t == 0)
            reads.append(t)
    assert reads[:4] == [0, 1, 3, 7]
    assert all(b - a <= 4 for a, b in zip(reads, reads[1:], strict=False))
    assert len(reads) < 8


def test_new_text_resets_the_back_off_and_cuts_are_always_read() -> None:
    scheduler = OcrScheduler(interval=1.0, max_gap=4.0)
    rng = np.random.default_rng(1)
    for t, text in [(0, "A caption"), (1, "A caption"), (3, "Another caption")]:
        frame = rng.integers(0, 255, (90, 160)).astype(np.int16)
        assert scheduler.should_read(float(t), frame, is_cut=t == 0)
        scheduler.record(float(t), frame, _detections(text), is_cut=t == 0)
    assert scheduler.should_read(4.0, rng.integers(0, 255, (90, 160)).astype(np.int16), is_cut=False)
    still = np.zeros((90, 160), dtype=np.int16)
    scheduler.record(4.0, still, [], is_cut=False)
    assert scheduler.should_read(4.5, still, is_cut=True)


# -- spans -------------------------------------------------------------------------


def test_readings_of_one_text_merge_into_one_span_until_it_is_gone() -> None:
    tracker = TextTracker()
    tracker.add(0.0, _detections("NIKE AIR MAX", "SALE"))
    tracker.add(2.0, _detections("NIKEAIR MAX"))  # OCR dropped a space: the same text
    tracker.add(5.0, _detections("Something else"))
    spans = {span.value: span for span in tracker.finish(9.0)}
    assert spans["NIKE AIR MAX"].start == 0.0 and spans["NIKE AIR MAX"].end == 5.0
    assert spans["SALE"].end == 2.0
    assert spans["Something else"].start == 5.0 and spans["Something else"].end == 9.0


def test_a_text_missed_by_one_read_stays_one_span() -> None:
    tracker = TextTracker()
    tracker.add(0.0, _detections("Weather update"))
    tracker.add(1.0, [])
    tracker.add(2.0, _detections("Weather update"))
    (span,) = tracker.finish(4.0)
    assert (span.start, span.end) == (0.0, 4.0)


# -- reading frames ----------------------------------------------------------------


@pytest.mark.models
def test_words_of_one_line_are_joined_and_unchanged_lines_are_not_recognised_again(main_video: VideoTruth) -> None:
    from engines.local.media import iter_samples

    frame = next(s.frame for s in iter_samples(str(main_video.path), fps=1.0) if s.time >= 3.0)
    session = OcrSession(get_reader())
    first = session.read(frame)
    assert sorted(compact_key(d.text) for d in first) == ["freeshippingworldwide", "nikeairmax"]
    recognised = session.recognised
    assert session.read(frame) == first
    assert session.recognised == recognised and session.reused >= len(first)


# -- the engine on a real video ------------------------------------------------------


@pytest.mark.models
@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_drawn_text_is_found_in_its_time_range(analysis: VideoAnalysis, main_video: VideoTruth, index: int) -> None:
    truth = main_video.texts[index]
    spans = _found(analysis, truth.text)
    assert len(spans) == 1, [s.value for s in analysis.texts]
    (span,) = spans
    assert abs(span.start - truth.start) <= TOLERANCE, (span, truth)
    assert abs(span.end - truth.end) <= TOLERANCE, (span, truth)
    assert span.box is not None
    x0, y0, x1, y1 = span.box
    assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
    assert abs(x0 - truth.x) < 0.05 and abs(y0 - truth.y) < 0.05
    assert span.confidence >= 0.75


@pytest.mark.models
def test_a_brand_on_screen_is_a_logo(analysis: VideoAnalysis, main_video: VideoTruth) -> None:
    truth = main_video.texts[0]  # NIKE AIR MAX
    (nike,) = [span for span in analysis.logos if span.value == "Nike"]
    assert abs(nike.start - truth.start) <= TOLERANCE and abs(nike.end - truth.end) <= TOLERANCE
    assert [span.value for span in analysis.logos] == ["Nike"]
    assert "Nike" in analysis.segments[0].logos


@pytest.mark.models
def test_logos_alone_run_ocr_but_return_no_text(engine: LocalEngine, mute_video: VideoTruth, analyze: Analyze) -> None:
    analysis = analyze(engine, mute_video, frozenset({LOGO}))
    assert [span.value for span in analysis.logos] == ["Coca-Cola"]
    assert analysis.texts == ()
    assert all(s.on_screen_text == "" and s.text_vector is None for s in analysis.segments)
    assert all(s.logos == "Coca-Cola" for s in analysis.segments)
    assert "ocr" in analysis.versions and "ocr" in analysis.timings


@pytest.mark.models
def test_text_without_logo_option_finds_no_logo(engine: LocalEngine, mute_video: VideoTruth, analyze: Analyze) -> None:
    analysis = analyze(engine, mute_video, frozenset({TEXT_IN_VIDEO}))
    assert [span.value for span in analysis.texts] == ["Coca-Cola Zero"]
    assert analysis.logos == ()
