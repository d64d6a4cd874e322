"""Query vectors, with a per-engine LRU: a repeated query (every page of a search) costs nothing.

A MiniLM query costs about 7 ms and a CLIP prompt 40 ms on this machine
(offline-models.md §3d, §3e); people page through results and retype the same words,
so the last `CACHE_SIZE` vectors of each space are kept. The cache hangs off the
engine object, so a new engine (settings changed, tests) starts with an empty one.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from engines.base import VideoEngine
from library.engine import get_engine

CACHE_SIZE = 4096
TEXT_SPACE = "text"  # MiniLM: conversation, text_in_video, logo
VISUAL_SPACE = "visual"  # CLIP, or MiniLM concept vectors (local engine without CLIP): visual


class _Lru:
    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, space: str, keys: Sequence[str], compute: Callable[[list[str]], np.ndarray]) -> list[np.ndarray]:
        with self._lock:
            found = {key: self._items.get((space, key)) for key in keys}
            for key, vector in found.items():
                if vector is not None:
                    self._items.move_to_end((space, key))
        missing = sorted({key for key, vector in found.items() if vector is None})
        if missing:
            computed = compute(missing)
            with self._lock:
                for key, vector in zip(missing, computed, strict=True):
                    vector = np.ascontiguousarray(vector, dtype=np.float32)
                    vector.setflags(write=False)
                    found[key] = self._items[(space, key)] = vector
                while len(self._items) > CACHE_SIZE:
                    self._items.popitem(last=False)
        return [found[key] for key in keys]  # type: ignore[misc]


_caches: weakref.WeakKeyDictionary[VideoEngine, _Lru] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(engine: VideoEngine) -> _Lru:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = _Lru()
        return cache


def text_vectors(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) MiniLM unit vectors, in the space of conversation and text vectors."""
    engine = get_engine()
    return np.stack(_cache(engine).vectors(TEXT_SPACE, list(texts), engine.embed_texts))


def visual_text_vector(text: str) -> np.ndarray:
    """A prompt in the CLIP space; EngineError("visual_model_unavailable") without a visual model."""
    engine = get_engine()
    return _cache(engine).vectors(VISUAL_SPACE, [text], engine.embed_visual_texts)[0]


def visual_calibration() -> str:
    """The calibration key of the engine's visual similarities: CLIP and concept vectors
    put matches at different cosines (calibration.py)."""
    from search.calibration import VISUAL, VISUAL_CONCEPTS

    kind = getattr(get_engine(), "visual_kind", None)
    return VISUAL_CONCEPTS if kind is not None and kind() == "concepts" else VISUAL


def image_vector(data: bytes) -> np.ndarray:
    """An image in the CLIP space, cached by the bytes' digest (page tokens carry the digest)."""
    engine = get_engine()
    digest = "image:" + hashlib.sha256(data).hexdigest()
    return _cache(engine).vectors(VISUAL_SPACE, [digest], lambda _: engine.embed_visual_images([data]))[0]


def composed_vector(image: np.ndarray, text: str) -> np.ndarray:
    """A text and an image asked for together (v1.3's composed query, embed-v2's text_image): both
    in the visual space, each unit length, added and normalised, so neither outweighs the other."""

    def unit(vector: np.ndarray) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    return unit(unit(image) + unit(visual_text_vector(text)))
