"""Marengo 3.0 vectors (embed-v2 clips) laid on Framewise's grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engines.twelvelabs.api import ClipEmbedding


def pool_clips(clips: Sequence[ClipEmbedding], start: float, end: float) -> np.ndarray | None:
    """The clips overlapping [start, end), weighted by overlap; the nearest clip if none does."""
    if not clips:
        return None
    weights = np.array([max(0.0, min(c.end, end) - max(c.start, start)) for c in clips])
    if not weights.any():
        middle = (start + end) / 2
        weights = np.zeros(len(clips))
        weights[int(np.argmin([abs((c.start + c.end) / 2 - middle) for c in clips]))] = 1.0
    vectors = normalise(np.stack([c.vector for c in clips]))
    return normalise((weights[:, None] * vectors).sum(axis=0, keepdims=True))[0]


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
