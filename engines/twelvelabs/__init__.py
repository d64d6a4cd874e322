"""The Twelve Labs cloud engine (FRAMEWISE_ENGINE=twelvelabs), spoken to with `requests` only.

client.py: HTTP, retries and error codes; api.py: the endpoints; jobs.py: waiting for the
remote tasks; progress.py and vectors.py: what the pipeline hears and stores; engine.py:
the VideoEngine itself. Importing this package loads PyAV and numpy (for the local
decode pass), no model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engines.twelvelabs.engine import TwelveLabsConfig, TwelveLabsEngine


def build(options: dict[str, Any]) -> TwelveLabsEngine:
    """Build the engine from the settings' option dict; refuse unknown keys and a missing key."""
    known = {f.name for f in dataclasses.fields(TwelveLabsConfig)}
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"Unknown Twelve Labs engine options: {sorted(unknown)}")
    if not options.get("api_key"):
        raise ValueError("The Twelve Labs engine needs an API key (TWELVELABS_API_KEY).")
    return TwelveLabsEngine(TwelveLabsConfig(**options))
