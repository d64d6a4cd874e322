"""Progress as the pipeline hears it from the cloud engine."""

from __future__ import annotations

import time

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL, ProgressFn


class Progress:
    """Forwards per-stage fractions clamped and monotonic; repeats itself every `heartbeat` s.

    The repeat matters while a remote task sits at one percentage: the worker renews its
    lease only when it hears from the engine, and a silent engine looks like a dead worker.
    """

    def __init__(self, callback: ProgressFn, *, heartbeat: float) -> None:
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


def remote_stages(options: frozenset[str]) -> list[str]:
    """The pipeline's stages that the remote indexing task performs for `options`."""
    stages = []
    if CONVERSATION in options:
        stages.append("speech")
    if options & {TEXT_IN_VIDEO, LOGO}:
        stages.append("ocr")
    if VISUAL in options:
        stages.append("visual")
    return stages
