"""Waiting for the remote work on one video: the asset, then its indexing and its embedding task.

v1.3 works in two steps: the uploaded asset must be `ready` before it can be indexed or
embedded, so the indexed asset and the embed-v2 task are created by the first poll that sees
the asset ready. All of it is polled between the local decoder's samples first
(`poll_if_due`) and then in a plain wait loop (`wait`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from engines.base import EngineError
from engines.twelvelabs.api import ClipEmbedding, TwelveLabsApi

_READY = "ready"
_FAILED = "failed"
# v1.3 reports statuses, not percentages: the remote stages move by these steps.
INDEXING_FRACTION = {"validating": 0.1, "pending": 0.2, "queued": 0.2, "indexing": 0.5, _READY: 1.0}

RemoteProgress = Callable[[float, bool], None]  # (indexing fraction, embedding task done)


class RemoteJobs:
    def __init__(
        self,
        api: TwelveLabsApi,
        *,
        asset_id: str,
        index_id: str | None,
        embed_model: str | None,
        clip_seconds: int,
        poll_interval: float,
        timeout: float,
        on_progress: RemoteProgress,
    ) -> None:
        """`index_id` None: nothing to index (no option maps to v1.3); `embed_model` None: no visual vectors."""
        self.api = api
        self.asset_id = asset_id
        self.index_id = index_id
        self.embed_model = embed_model
        self.clip_seconds = clip_seconds
        self.poll_interval = poll_interval
        self._on_progress = on_progress
        self._deadline = time.monotonic() + timeout
        self._timeout = timeout
        self._next_poll = time.monotonic()
        self.asset_status = ""
        self.indexed_asset_id = ""
        self.index_status = "" if index_id else _READY
        self.embed_task_id = ""
        self.embed_status = "" if embed_model else _READY
        self.clips: list[ClipEmbedding] = []

    @property
    def done(self) -> bool:
        return self.asset_status == _READY and self.index_status == _READY and self.embed_status == _READY

    def poll_if_due(self) -> None:
        if time.monotonic() >= self._next_poll:
            self.poll()

    def poll(self) -> None:
        """Ask for the status of what is still running; anything failed ends the video here, permanently."""
        self._next_poll = time.monotonic() + self.poll_interval
        if self.asset_status != _READY:
            asset = self.api.asset(self.asset_id)
            self.asset_status = asset.status
            if asset.status == _FAILED:
                raise self._failed("could not read the uploaded video", asset.error_message, asset.error_code)
            if asset.status == _READY:
                # Both read the one uploaded asset: the file is sent once, not once per use.
                if self.index_id:
                    self.indexed_asset_id = self.api.index_asset(self.index_id, self.asset_id)
                if self.embed_model:
                    self.embed_task_id = self.api.create_embed_task(
                        self.asset_id, model_name=self.embed_model, clip_seconds=self.clip_seconds
                    )
        elif self.index_id and self.index_status != _READY:
            indexed = self.api.indexed_asset(self.index_id, self.indexed_asset_id)
            self.index_status = indexed.status
            if indexed.status == _FAILED:
                raise self._failed("could not index the video", indexed.error_message, indexed.error_code)
        if self.embed_task_id and self.embed_status != _READY and self.asset_status == _READY:
            status, clips = self.api.embed_task(self.embed_task_id)
            self.embed_status = status.status
            if status.status == _FAILED:
                raise self._failed("could not embed the video", status.error_message, "remote_embedding_failed")
            self.clips = clips
        self._on_progress(self._fraction(), self.embed_status == _READY)

    @staticmethod
    def _failed(what: str, reason: str, code: str) -> EngineError:
        return EngineError(
            f"Twelve Labs {what}: {reason or 'no reason given'}",
            transient=False,
            code=code or "remote_indexing_failed",
        )

    def _fraction(self) -> float:
        if self.asset_status != _READY:
            return 0.0  # still uploading or validating the asset: nothing indexed yet
        return INDEXING_FRACTION.get(self.index_status, 0.0)

    def wait(self) -> str:
        """Poll until everything is ready; the embedding task's clips are then in `clips`.

        Returns the indexed asset's id ("" when nothing was indexed)."""
        while not self.done:
            if time.monotonic() >= self._deadline:
                raise EngineError(
                    f"Twelve Labs had not finished after {self._timeout:.0f} s (asset {self.asset_id}: "
                    f"{self.asset_status or 'unknown'}; indexing: {self.index_status or 'not started'}; "
                    f"embedding: {self.embed_status or 'not started'}).",
                    transient=True,
                    code="remote_timeout",
                )
            time.sleep(max(0.0, min(self._next_poll, self._deadline) - time.monotonic()))
            self.poll()
        return self.indexed_asset_id
