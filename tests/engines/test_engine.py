"""The engine as a whole: progress, versions and timings, text embeddings, light imports."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from engines.base import VideoAnalysis, VideoEngine
from engines.local.engine import LocalEngine


def test_the_engine_meets_the_protocol(engine: LocalEngine) -> None:
    assert isinstance(engine, VideoEngine)


def test_importing_the_engine_loads_no_model_library() -> None:
    heavy = ["torch", "transformers", "faster_whisper", "rapidocr_onnxruntime", "sentence_transformers", "onnxruntime"]
    code = f"import sys, engines.local.engine; print([m for m in {heavy!r} if m in sys.modules])"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert output.strip() == "[]"


@pytest.mark.models
def test_progress_is_monotonic_per_stage_and_ends_at_one(
    analysis: VideoAnalysis, progress_calls: list[tuple[str, float]]
) -> None:
    by_stage: dict[str, list[float]] = defaultdict(list)
    for stage, fraction in progress_calls:
        by_stage[stage].append(fraction)
    assert set(by_stage) == {"decode", "speech", "ocr", "visual", "embed"}
    for stage, fractions in by_stage.items():
        assert all(0.0 <= f <= 1.0 for f in fractions), stage
        assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions), stage
        assert fractions[-1] == 1.0, stage
    assert len(by_stage["decode"]) > 3  # reported as decoding goes, not only at the end


@pytest.mark.models
def test_versions_and_timings_are_recorded(analysis: VideoAnalysis) -> None:
    assert analysis.versions["asr"].startswith("faster-whisper/") and "tiny.en" in analysis.versions["asr"]
    assert analysis.versions["ocr"].startswith("rapidocr-onnxruntime/")
    assert analysis.versions["text_embedding"].startswith("all-MiniLM-L6-v2")
    for stage in ("decode", "speech", "ocr", "visual", "embed", "total"):
        assert analysis.timings[stage] >= 0.0
    assert analysis.timings["total"] >= analysis.timings["decode"]
    assert len(analysis.thumbnails) >= len(analysis.shots)


@pytest.mark.models
def test_text_embeddings_rank_the_right_segment_first(engine: LocalEngine, analysis: VideoAnalysis) -> None:
    query = engine.embed_texts(["a cooking tutorial"])
    assert query.shape == (1, 384) and query.dtype == np.float32
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-4)
    scored = [(float(query[0] @ s.combined_vector), s) for s in analysis.segments if s.combined_vector is not None]
    best = max(scored, key=lambda pair: pair[0])[1]
    assert "pasta" in (best.transcript + best.on_screen_text).lower()
    assert engine.embed_texts([]).shape == (0, 384)
