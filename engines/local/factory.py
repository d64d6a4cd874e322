from __future__ import annotations

import dataclasses
from typing import Any

from engines.local.engine import LocalEngine, LocalEngineConfig


def build(options: dict[str, Any]) -> LocalEngine:
    """Build the local engine from the settings' option dict, ignoring unknown keys' absence."""
    known = {f.name for f in dataclasses.fields(LocalEngineConfig)}
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"Unknown local engine options: {sorted(unknown)}")
    return LocalEngine(LocalEngineConfig(**options))
