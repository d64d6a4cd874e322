"""The configured engine, built once per process from settings (engines/ itself knows no Django)."""

from __future__ import annotations

import functools

from django.conf import settings

from engines import build_engine
from engines.base import VideoEngine


@functools.cache
def get_engine() -> VideoEngine:
    return build_engine(settings.FRAMEWISE_ENGINE, dict(settings.FRAMEWISE_ENGINE_OPTIONS))
