"""Waiting for the remote work on one video: its indexing task and its video embedding task.

Both tasks run on Twelve Labs at the same time; they are polled together, between the
local decoder's samples first (`poll_if_due`) and then in a plain wait loop (`wait`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from engines.base import EngineError
from engines.twelvelabs.api import ClipEmbedding, RemoteTask, TwelveLabsApi

# Statuses in which `process.percentage` describes the indexing itself.
_INDEXING = "indexing"
_READY = "ready"
_FAILED = "failed"

RemoteProgress = Callable[[float, bool], None]  # (indexing fraction, embedding task done)


class RemoteJobs:
    def __init__(
        self,
        api: TwelveLabsApi,
        *,
        task_id: str,
        embed_task_id: str | None,
        poll_interval: float,
        timeout: float,
        on_progress: RemoteProgress,
    ) -> None:
        self.api = api
        self.task_id = task_id
        self.embed_task_id = embed_task_id
        self.poll_interval = poll_interval
        self._on_progress = on_progress
        self._deadline = time.monotonic() + timeout
        self._timeout = timeout
        self._next_poll = time.monotonic()
        self.task: RemoteTask | None = None
        self.embed_status = "" if embed_task_id else _READY
        self.clips: list[ClipEmbedding] = []

    @property
    def done(self) -> bool:
        return self.task is not None and self.task.status == _READY and self.embed_status == _READY

    def poll_if_due(self) -> None:
        if time.monotonic() >= self._next_poll:
            self.poll()

    def poll(self) -> None:
        """Ask for both tasks' status; a failed task ends the video here, permanently."""
        self._next_poll = time.monotonic() + self.poll_interval
        if self.task is None or self.task.status != _READY:
            self.task = self.api.task(self.task_id)
            if self.task.status == _FAILED:
                reason = self.task.error_message or "no reason given"
                raise EngineError(
                    f"Twelve Labs could not index the video: {reason}",
                    transient=False,
                    code=self.task.error_code or "remote_indexing_failed",
                )
        if self.embed_task_id and self.embed_status != _READY:
            self.embed_status = self.api.embed_task_status(self.embed_task_id)
            if self.embed_status == _FAILED:
                _, reason = self.api.embed_task_result(self.embed_task_id)
                raise EngineError(
                    f"Twelve Labs could not embed the video: {reason or 'no reason given'}",
                    transient=False,
                    code="remote_embedding_failed",
                )
        self._on_progress(self._fraction(), self.embed_status == _READY)

    def _fraction(self) -> float:
        assert self.task is not None
        if self.task.status == _READY:
            return 1.0
        if self.task.status == _INDEXING:
            return self.task.percentage / 100.0
        return 0.0  # validating, pending, queued: nothing indexed yet

    def wait(self) -> RemoteTask:
        """Poll until both tasks are ready; the embedding task's clips are then in `clips`."""
        while not self.done:
            if time.monotonic() >= self._deadline:
                status = self.task.status if self.task else "unknown"
                raise EngineError(
                    f"Twelve Labs had not finished after {self._timeout:.0f} s "
                    f"(indexing task {self.task_id}: {status}, {100 * self._fraction() if self.task else 0:.0f}%; "
                    f"embedding: {self.embed_status or 'unknown'}).",
                    transient=True,
                    code="remote_timeout",
                )
            time.sleep(max(0.0, min(self._next_poll, self._deadline) - time.monotonic()))
            self.poll()
        if self.embed_task_id:
            self.clips, _ = self.api.embed_task_result(self.embed_task_id)
        assert self.task is not None
        return self.task
