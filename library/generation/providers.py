"""The generator the settings choose, one per process and configuration."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from django.conf import settings

from engines.generation import build_generator
from engines.generation.base import TextGenerator
from library.engine import get_engine


def _embed(texts: Sequence[str]) -> np.ndarray:
    # The indexing engine's text model: the generator's vectors then compare with stored segment vectors.
    return get_engine().embed_texts(texts)


@functools.lru_cache(maxsize=4)
def _generator(provider: str, base_url: str, model: str, api_key: str, timeout: float) -> TextGenerator:
    options = (
        {"base_url": base_url, "model": model, "api_key": api_key, "timeout": timeout} if provider == "openai" else {}
    )
    return build_generator(provider, options, embed=_embed)


def get_generator() -> TextGenerator:
    """Cached per configuration, so the local generator's per-video cache survives between requests."""
    return _generator(
        settings.FRAMEWISE_GENERATION_PROVIDER,
        settings.FRAMEWISE_OPENAI_BASE_URL,
        settings.FRAMEWISE_OPENAI_MODEL,
        settings.FRAMEWISE_OPENAI_API_KEY,
        settings.FRAMEWISE_OPENAI_TIMEOUT,
    )
