"""The cloud engine: Twelve Labs indexes and embeds, Framewise keeps its own grid and pictures.

It speaks API v1.3 (v1.2 is retired). One `analyze` call:
1. uploads the file once as an asset (POST /assets, streamed from disk);
2. meanwhile decodes it locally once at `sample_fps` for shots and thumbnails
   (engines.local.media: PyAV, no model), polling between samples; once the asset is
   ready it is indexed into the Marengo 3.0 index for the options (POST
   /indexes/{id}/indexed-assets, for the transcript) and, for `visual`, embedded (POST /embed-v2/tasks,
   fixed clips), both remotely at the same time;
3. waits for both, then reads the transcript back (GET the indexed asset with
   `transcription=true`);
4. lays everything on the local engine's time grid (engines.local.segments) and fills
   the vectors with Marengo embeddings: POST /embed-v2 per distinct text, and the
   embedding task's clips pooled into each cell by overlap.

v1.3 extracts no on-screen text or logos (Marengo 3.0's options are `visual` and
`audio`), so `text_in_video` and `logo` are reported skipped with that reason.

Marengo puts text, images and video in one space, so `embed_visual_texts` is
`embed_texts` and `embed_visual_images` is POST /embed-v2 with the image.

Progress uses the pipeline's stage names for the work the remote does on our behalf
(speech, visual follow the indexed asset's status), plus `upload` for bytes sent.
"""

from __future__ import annotations

import functools
import io
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib import metadata
from typing import TypeVar

import numpy as np

from engines.base import (
    CONVERSATION,
    LOGO,
    TEXT_IN_VIDEO,
    VISUAL,
    EngineError,
    MediaProbe,
    ProgressFn,
    Segment,
    Shot,
    Thumbnail,
    TranscriptLine,
    VideoAnalysis,
)
from engines.local import media
from engines.local.segments import build_segments, grid
from engines.progress import Progress
from engines.twelvelabs.api import ClipEmbedding, TwelveLabsApi, remote_model_options
from engines.twelvelabs.client import TwelveLabsClient
from engines.twelvelabs.jobs import RemoteJobs
from engines.twelvelabs.progress import remote_stages
from engines.twelvelabs.vectors import normalise, pool_clips

_Input = TypeVar("_Input", str, bytes)

DEFAULT_BASE_URL = "https://api.twelvelabs.io/v1.3"
# Marengo 3.0 vectors; only used to shape the answer to an empty embedding request.
MARENGO_DIMENSIONS = 512
NOT_IN_V13 = "Twelve Labs API v1.3 extracts no on-screen text or logos (Marengo 3.0 indexes visual and audio only)."
# Twelve Labs cuts video embeddings into clips of 2 to 10 whole seconds.
CLIP_SECONDS_RANGE = (2, 10)


@dataclass(frozen=True)
class TwelveLabsConfig:
    api_key: str
    base_url: str = DEFAULT_BASE_URL
    # The remote index is named "<index_name>-<Marengo options joined by ->": one per option
    # set, created on first use, found again by name by every worker and after restarts.
    index_name: str = "framewise"
    index_model: str = "marengo3.0"
    embedding_model: str = "marengo3.0"
    poll_interval: float = 5.0
    # Longest wait for the remote tasks after the upload; below the worker's 3600 s job
    # timeout, so the task is re-queued (transient) rather than killed mid-wait.
    task_timeout: float = 3000.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_retries: int = 4
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    parallel_requests: int = 4  # concurrent POST /embed calls
    # The same grid as the local engine (FRAMEWISE_SAMPLE_FPS, FRAMEWISE_SEGMENT_SECONDS).
    sample_fps: float = 1.0
    segment_seconds: float = 4.0
    # Repeat the last progress this often while nothing moves, so the worker renews its lease.
    heartbeat_seconds: float = 30.0


class TwelveLabsEngine:
    name = "twelvelabs"

    def __init__(self, config: TwelveLabsConfig) -> None:
        self.config = config
        self.api = TwelveLabsApi(
            TwelveLabsClient(
                base_url=config.base_url,
                api_key=config.api_key,
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                max_retries=config.max_retries,
                backoff=config.backoff,
            )
        )
        self._indexes: dict[frozenset[str], str] = {}
        self._index_lock = threading.Lock()

    # -- the engine contract ---------------------------------------------------------

    def probe(self, path: str) -> MediaProbe:
        # Local on purpose: a file that will be rejected is never uploaded.
        return media.probe(path)

    def analyze(
        self,
        path: str,
        *,
        probe: MediaProbe,
        options: frozenset[str],
        thumbnails: bool,
        progress: ProgressFn,
        language: str = "",
    ) -> VideoAnalysis:
        # `language` is not sent: v1.3 detects the spoken language itself and takes no hint.
        started = time.perf_counter()
        report = Progress(progress, heartbeat=self.config.heartbeat_seconds)
        skipped = {option: NOT_IN_V13 for option in sorted(options & {TEXT_IN_VIDEO, LOGO})}
        # The transcript is all Framewise reads from a remote index (visual vectors come from
        # embed-v2), so only speech is indexed remotely: an `audio` index, no visual indexing bill.
        index_id = self.remote_index(frozenset({CONVERSATION})) if CONVERSATION in options else None

        uploaded = time.perf_counter()
        jobs = self._upload(path, index_id, options, report) if index_id or VISUAL in options else None
        timings = {"upload": round(time.perf_counter() - uploaded, 3)}

        decoded = time.perf_counter()
        between = jobs.poll_if_due if jobs is not None else lambda: None
        shots, pictures = self._frame_pass(path, probe, report, between_samples=between)
        timings["decode"] = round(time.perf_counter() - decoded, 3)

        waited = time.perf_counter()
        indexed_asset_id = jobs.wait() if jobs is not None else ""
        timings["remote_wait"] = round(time.perf_counter() - waited, 3)

        fetched = time.perf_counter()
        transcript = self._transcript(index_id, indexed_asset_id, probe.duration) if index_id else ()
        timings["fetch"] = round(time.perf_counter() - fetched, 3)

        embedded = time.perf_counter()
        clips = jobs.clips if jobs is not None else []
        segments = self._segments(shots, probe, transcript, clips, report)
        timings["embed"] = round(time.perf_counter() - embedded, 3)
        timings["total"] = round(time.perf_counter() - started, 3)
        versions = self.versions()
        if jobs is not None:
            versions["remote_asset"] = jobs.asset_id
        if index_id:
            versions["remote_video"] = f"{index_id}/{indexed_asset_id}"
        return VideoAnalysis(
            probe=probe,
            shots=shots,
            thumbnails=pictures if thumbnails else pictures[:1],
            transcript=transcript,
            segments=segments,
            skipped=skipped,
            versions=versions,
            timings=timings,
        )

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(list(texts), on_done=lambda done: None)

    def embed_visual_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_texts(texts)

    def embed_visual_images(self, images: Sequence[bytes]) -> np.ndarray:
        # Decoded here first: a bad image is the caller's `image_invalid`, not a remote 400,
        # and re-encoding as JPEG sends every format (WebP, BMP, ...) as one Marengo accepts.
        jpegs = [_as_jpeg(data) for data in images]
        embed = functools.partial(self.api.embed_image, model_name=self.config.embedding_model)
        return self._in_parallel(embed, jpegs, on_done=lambda done: None)

    def versions(self) -> dict[str, str]:
        return {
            "engine": f"twelvelabs ({self.config.base_url})",
            "index_model": self.config.index_model,
            "embedding": self.config.embedding_model,
            "decoder": f"pyav/{metadata.version('av')}",
        }

    # -- the steps ----------------------------------------------------------------------

    def remote_index(self, options: frozenset[str]) -> str:
        """The id of the remote index for `options`: cached, else found by name, else created.

        Keyed by the Marengo options the Framewise options map to, so option sets that ask
        the same of the cloud share one remote index."""
        model_options = remote_model_options(options)
        key = frozenset(model_options)
        with self._index_lock:
            if key not in self._indexes:
                self._indexes[key] = self._find_or_create_index(model_options)
            return self._indexes[key]

    def _find_or_create_index(self, model_options: list[str]) -> str:
        name = "-".join([self.config.index_name, *model_options])
        found = self.api.find_index(name)
        if found is None:
            try:
                return self.api.create_index(name, model_name=self.config.index_model, model_options=model_options)
            except EngineError as error:
                # Another worker may have created it between our lookup and our POST.
                found = self.api.find_index(name) if error.code == "remote_request_rejected" else None
                if found is None:
                    raise
        models = [m for m in found.get("models") or [] if isinstance(m, dict)]
        if not any(set(model_options) <= set(m.get("model_options") or []) for m in models):
            raise EngineError(
                f"The Twelve Labs index {name!r} exists without the options {model_options}; rename or delete it.",
                transient=False,
                code="remote_index_mismatch",
            )
        return str(found["_id"])

    def _upload(self, path: str, index_id: str | None, options: frozenset[str], report: Progress) -> RemoteJobs:
        size = os.path.getsize(path)
        asset_id = self.api.create_asset(path, lambda done: report("upload", done / size))
        report("upload", 1.0)
        stages = remote_stages(options)

        def on_remote(fraction: float, embedded: bool) -> None:
            for stage in stages:
                # The visual vectors come from the embedding task: not done until it is.
                report(stage, fraction if embedded or stage != "visual" else min(fraction, 0.99))

        low, high = CLIP_SECONDS_RANGE
        return RemoteJobs(
            self.api,
            asset_id=asset_id,
            index_id=index_id,
            embed_model=self.config.embedding_model if VISUAL in options else None,
            clip_seconds=min(high, max(low, round(self.config.segment_seconds))),
            poll_interval=self.config.poll_interval,
            timeout=self.config.task_timeout,
            on_progress=on_remote,
        )

    def _transcript(self, index_id: str, indexed_asset_id: str, duration: float) -> tuple[TranscriptLine, ...]:
        values = self.api.transcription(index_id, indexed_asset_id)
        return tuple(
            TranscriptLine(start=max(0.0, v.start), end=min(duration, max(v.end, v.start)), text=v.value)
            for v in sorted(values, key=lambda v: (v.start, v.end))
        )

    def _frame_pass(
        self, path: str, probe: MediaProbe, report: Progress, *, between_samples: Callable[[], None]
    ) -> tuple[tuple[Shot, ...], tuple[Thumbnail, ...]]:
        """Shots and thumbnails from one decode, the same way the local engine finds them."""
        detector = media.ShotDetector()
        picker = media.ThumbnailPicker()
        for sample in media.iter_samples(
            path,
            fps=self.config.sample_fps,
            max_seconds=media.decode_limit(probe.duration),
            max_pixels=probe.width * probe.height,
        ):
            is_cut = detector.add(sample.time, media.hsv_histogram(sample.frame))
            picker.add(sample, is_cut=is_cut)
            report("decode", sample.time / probe.duration)
            between_samples()
        shots = detector.shots(probe.duration)
        if not shots:
            raise EngineError("No frame could be decoded.", transient=False, code="video_file_broken")
        report("decode", 1.0)
        return shots, picker.thumbnails()

    def _segments(
        self,
        shots: tuple[Shot, ...],
        probe: MediaProbe,
        transcript: tuple[TranscriptLine, ...],
        clips: list[ClipEmbedding],
        report: Progress,
    ) -> tuple[Segment, ...]:
        report("embed", 0.0)
        cells = grid(shots, probe.duration, seconds=self.config.segment_seconds)

        def embed(unique: list[str]) -> np.ndarray:
            # build_segments reports 0.8 once the texts are embedded; count up to it.
            return self._embed(unique, on_done=lambda done: report("embed", 0.8 * done / len(unique)))

        segments = build_segments(
            cells,
            transcript=transcript,
            texts=(),
            logos=(),
            frames=None,
            embed=embed,
            on_progress=lambda fraction: report("embed", fraction),
        )
        if not clips:
            return segments
        return tuple(replace(s, visual_vector=pool_clips(clips, s.start, s.end)) for s in segments)

    def _embed(self, texts: list[str], *, on_done: Callable[[int], None]) -> np.ndarray:
        embed = functools.partial(self.api.embed_text, model_name=self.config.embedding_model)
        return self._in_parallel(embed, texts, on_done=on_done)

    def _in_parallel(
        self, embed: Callable[[_Input], np.ndarray], inputs: Sequence[_Input], *, on_done: Callable[[int], None]
    ) -> np.ndarray:
        """(n, d) unit float32 vectors of `inputs`, `parallel_requests` requests at a time, in order."""
        if not inputs:
            return np.zeros((0, MARENGO_DIMENSIONS), dtype=np.float32)
        with ThreadPoolExecutor(max_workers=min(self.config.parallel_requests, len(inputs))) as pool:
            futures: list[Future[np.ndarray]] = [pool.submit(embed, item) for item in inputs]
            vectors = []
            try:
                for done, future in enumerate(futures, start=1):
                    vectors.append(future.result())
                    on_done(done)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        if len({len(v) for v in vectors}) != 1:
            raise EngineError(
                "Twelve Labs returned embeddings of different lengths.", transient=False, code="remote_bad_response"
            )
        return normalise(np.stack(vectors))


def _as_jpeg(data: bytes) -> bytes:
    image = media.decode_image(data).to_image().convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
