"""Progress forwarding shared by the engines."""

from __future__ import annotations

import math
import time

from engines.base import ProgressFn


class Progress:
    """Forwards per-stage fractions clamped, monotonic and only when they moved by 1 %.

    With `heartbeat`, the last value is also repeated every `heartbeat` seconds. The repeat
    matters while a remote task sits at one percentage: the worker renews its
    lease only when it hears from the engine, and a silent engine looks like a dead worker.
    """

    def __init__(self, callback: ProgressFn, *, heartbeat: float = math.inf) -> None:
        self._callback = callback
        self._heartbeat = heartbeat
        self._last: dict[str, float] = {}
        self._sent_at = time.monotonic()

    def __call__(self, stage: str, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        last = self._last.get(stage, -1.0)
        moved = fraction > last and (fraction == 1.0 or fraction - last >= 0.01)
        if not moved and time.monotonic() - self._sent_at < self._heartbeat:
            return
        self._last[stage] = max(last, fraction)
        self._sent_at = time.monotonic()
        self._callback(stage, self._last[stage])
