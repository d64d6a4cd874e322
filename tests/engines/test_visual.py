"""Visual vectors from a tiny randomly initialised CLIP saved to disk, and the no-model path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.base import VISUAL, EngineError, VideoAnalysis
from engines.local.engine import LocalEngine, LocalEngineConfig
from engines.local.media import iter_samples
from engines.local.visual import VisualEncoder, pool
from tests.engines.conftest import Analyze
from tests.videos import VideoTruth


def test_every_segment_gets_a_unit_visual_vector(analysis: VideoAnalysis, tiny_clip: Path) -> None:
    assert VISUAL not in analysis.skipped
    assert analysis.versions["visual"].startswith(str(tiny_clip))
    for segment in analysis.segments:
        assert segment.visual_vector is not None
        assert segment.visual_vector.shape == (16,) and segment.visual_vector.dtype == np.float32
        assert np.linalg.norm(segment.visual_vector) == pytest.approx(1.0, abs=1e-4)


def test_different_scenes_look_different(analysis: VideoAnalysis) -> None:
    navy, pattern = analysis.segments[0].visual_vector, analysis.segments[2].visual_vector
    assert navy is not None and pattern is not None
    assert float(navy @ pattern) < 0.999


def test_vectors_survive_reloading_the_model(
    analysis: VideoAnalysis, engine: LocalEngine, main_video: VideoTruth, tiny_clip: Path
) -> None:
    reloaded = VisualEncoder(str(tiny_clip))  # read from disk again, not the process's cached one
    assert reloaded is not engine._require_visual()
    samples = list(iter_samples(str(main_video.path), fps=1.0))
    vectors = reloaded.embed_images([reloaded.frame_pixels(s.frame) for s in samples])
    assert vectors.shape == (len(samples), 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    times = np.array([s.time for s in samples])
    for segment in analysis.segments:
        inside = (times >= segment.start) & (times < segment.end)
        np.testing.assert_allclose(segment.visual_vector, pool(vectors[inside]), atol=1e-5)


def test_prompts_embed_in_the_same_space(engine: LocalEngine) -> None:
    vectors = engine.embed_visual_texts(["a red car", "a bowl of pasta"])
    assert vectors.shape == (2, 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert engine.embed_visual_texts([]).shape == (0, 16)


def test_a_query_image_embeds_like_the_frame_it_shows(engine: LocalEngine, main_video: VideoTruth) -> None:
    from engines.local.media import encode_jpeg

    frame = next(s.frame for s in iter_samples(str(main_video.path), fps=1.0) if s.time >= 1.0)
    (vector,) = engine.embed_visual_images([encode_jpeg(frame, width=640, quality=95)])
    assert vector.shape == (16,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
    encoder = engine._require_visual()
    (direct,) = encoder.embed_images([encoder.frame_pixels(frame)])
    assert float(vector @ direct) > 0.95  # JPEG and rescaling change the pixels a little
    with pytest.raises(EngineError) as caught:
        engine.embed_visual_images([b"not an image"])
    assert caught.value.code == "image_invalid"


def test_full_precision_and_int8_vision_towers_agree(tiny_clip: Path, main_video: VideoTruth, analyze: Analyze) -> None:
    visual = frozenset({VISUAL})
    fp32 = analyze(LocalEngine(LocalEngineConfig(clip_model=str(tiny_clip), clip_int8=False)), main_video, visual)
    int8 = analyze(LocalEngine(LocalEngineConfig(clip_model=str(tiny_clip))), main_video, visual)
    for a, b in zip(fp32.segments, int8.segments, strict=True):
        assert float(a.visual_vector @ b.visual_vector) > 0.95
    assert "int8" not in fp32.versions["visual"]


@pytest.mark.parametrize(
    ("clip_model", "reason"),
    [("", "no visual model configured"), ("/nonexistent/clip", "could not be loaded offline")],
)
def test_without_a_model_visual_is_skipped_with_a_reason(
    mute_video: VideoTruth, analyze: Analyze, clip_model: str, reason: str
) -> None:
    # Concepts off, or a configured CLIP that does not load: a configured CLIP takes
    # precedence over the concept classifier, so a broken one is reported, not replaced.
    engine = LocalEngine(LocalEngineConfig(clip_model=clip_model, visual_concepts=bool(clip_model)))
    analysis = analyze(engine, mute_video, frozenset({VISUAL}))
    assert reason in analysis.skipped[VISUAL]
    assert analysis.versions["visual"] == "skipped"
    assert all(s.visual_vector is None for s in analysis.segments)
    assert analysis.segments and analysis.shots
    for call in (lambda: engine.embed_visual_texts(["a dog"]), lambda: engine.embed_visual_images([b"..."])):
        with pytest.raises(EngineError) as caught:
            call()
        assert caught.value.code == "visual_model_unavailable" and not caught.value.transient
