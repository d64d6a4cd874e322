"""Engine registry: settings name the engine, this module builds it lazily.

The import happens on first use, so web processes that never analyse video do not
import the ML stack; `library.engine.get_engine()` caches one engine per process so each model is
loaded once per worker.
"""

from __future__ import annotations

import importlib
from typing import Any

from engines.base import VideoEngine

# Engine name -> "module:factory". A factory takes the options dict from settings.
ENGINE_FACTORIES: dict[str, str] = {
    "local": "engines.local.factory:build",
    "twelvelabs": "engines.twelvelabs:build",
}


def build_engine(name: str, options: dict[str, Any]) -> VideoEngine:
    try:
        target = ENGINE_FACTORIES[name]
    except KeyError:
        raise ValueError(f"Unknown engine {name!r}; choose one of {sorted(ENGINE_FACTORIES)}") from None
    module_name, factory_name = target.split(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    engine: VideoEngine = factory(options)
    return engine
