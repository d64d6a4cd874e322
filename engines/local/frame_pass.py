"""The single decoding pass: every 1 fps sample goes to shots, thumbnails, OCR and the visual model.

The visual model is CLIP when one is configured, else the ImageNet concept classifier
(concepts.py); both run on the same pixels' thread.

Decoding once and fanning out is what offline-models.md §3a and §4 measured as
cheapest. The 1 fps samples include every shot's keyframe (a shot's keyframe is its
start + 1 s, or its middle), so CLIP needs no extra frames for them.

Threads: CLIP runs on a worker thread of its own, on pixels already converted; torch
releases the GIL in its kernels, so CLIP and the decoding thread (shot cuts,
thumbnails, OCR) keep both cores busy beside whisper's child process. Every PyAV frame
conversion stays on the decoding thread: with OCR's conversions on a second thread,
a pass deadlocked inside `to_ndarray` (PyAV 18 with threaded decoding).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import av
import numpy as np

from engines.base import EngineError, MediaProbe, Shot, TextSpan, Thumbnail
from engines.local import media
from engines.local.concepts import ConceptClassifier, concept_spans
from engines.local.ocr import OcrReader, OcrSession
from engines.local.segments import FrameVectors
from engines.local.text_tracking import OcrScheduler, TextTracker
from engines.local.visual import BATCH_SIZE, VisualEncoder

Item = TypeVar("Item")


class BackgroundWorker(Generic[Item]):
    """Applies `handle` to items in order on a thread of its own.

    The queue is short: a worker that falls behind makes decoding wait instead of
    piling up frames. An exception in `handle` is re-raised by `finish()`.
    """

    def __init__(self, name: str, handle: Callable[[Item], None], *, depth: int = 4) -> None:
        self._handle = handle
        self._items: queue.Queue[tuple[Item] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self.seconds = 0.0  # time spent in `handle`
        self.done = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._items.get()) is not None:
            if self._error is not None:
                continue  # drain after a failure; finish() reports it
            started = time.perf_counter()
            try:
                self._handle(item[0])
            except BaseException as exc:  # re-raised on the caller's thread by finish()
                self._error = exc
            self.seconds += time.perf_counter() - started
            self.done += 1

    def put(self, item: Item) -> None:
        if self._error is not None:
            raise self._error
        self._items.put((item,))

    def finish(self) -> None:
        """Wait until every item is handled."""
        self.close()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self._thread.is_alive():
            self._items.put(None)
            self._thread.join()


class _TextReading:
    """Which samples to read (scheduler), the reads, and the spans they make."""

    def __init__(self, reader: OcrReader, *, interval: float, max_gap: float) -> None:
        self.session = OcrSession(reader)
        self.scheduler = OcrScheduler(interval=interval, max_gap=max_gap)
        self.tracker = TextTracker()
        self.reads = 0
        self.seconds = 0.0

    def handle(self, time_: float, frame: av.VideoFrame, *, is_cut: bool) -> None:
        started = time.perf_counter()
        thumb = self.scheduler.thumbnail(frame)
        if self.scheduler.should_read(time_, thumb, is_cut=is_cut):
            detections = self.session.read(frame)
            self.scheduler.record(time_, thumb, detections, is_cut=is_cut)
            self.tracker.add(time_, detections)
            self.reads += 1
        self.seconds += time.perf_counter() - started


@dataclass(frozen=True)
class FramePassSettings:
    sample_fps: float
    shot_threshold: float
    thumbnail_every: float
    thumbnail_width: int
    ocr_max_gap: float


@dataclass(frozen=True)
class FramePass:
    """What the decoding pass produced."""

    shots: tuple[Shot, ...]
    thumbnails: tuple[Thumbnail, ...]
    texts: tuple[TextSpan, ...]  # every text read, whether or not the index wants texts
    frames: FrameVectors | None  # None without a visual model
    # The "objects and scenes" track: labels of the concept classifier (empty with CLIP).
    concepts: tuple[TextSpan, ...]
    # Wall seconds: decode and ocr on the decoding thread, visual on CLIP's thread
    # (which overlaps them: the three do not add up to the pass's duration).
    seconds: dict[str, float]
    ocr_reads: int


def _encode(encoder: VisualEncoder | ConceptClassifier, batch: list[np.ndarray]) -> np.ndarray:
    """CLIP vectors, or class probabilities (turned into vectors and labels after the pass)."""
    if isinstance(encoder, ConceptClassifier):
        return encoder.classify(batch)
    return encoder.embed_images(batch)


def run_frame_pass(
    path: str,
    probe: MediaProbe,
    settings: FramePassSettings,
    *,
    reader: OcrReader | None,
    encoder: VisualEncoder | ConceptClassifier | None,
    report: Callable[[str, float], None],
    on_sample: Callable[[], None],
) -> FramePass:
    """Decode `path` once. `on_sample` runs after every sample (the speech job polls there)."""
    detector = media.ShotDetector(threshold=settings.shot_threshold)
    picker = media.ThumbnailPicker(every=settings.thumbnail_every, width=settings.thumbnail_width)
    expected = max(1.0, probe.duration * settings.sample_fps)
    reading = (
        _TextReading(reader, interval=1.0 / settings.sample_fps, max_gap=settings.ocr_max_gap)
        if reader is not None
        else None
    )
    vectors: list[np.ndarray] = []  # CLIP vectors, or the classifier's probabilities
    clip_worker: BackgroundWorker[list[np.ndarray]] | None = (
        BackgroundWorker("visual", lambda batch: vectors.append(_encode(encoder, batch)), depth=2)
        if encoder is not None
        else None
    )
    pending: list[np.ndarray] = []
    frame_times: list[float] = []
    started = time.perf_counter()
    try:
        # Bounded by the probe, not by the file: past the probed duration nothing is decoded.
        for sample in media.iter_samples(
            path,
            fps=settings.sample_fps,
            max_seconds=media.decode_limit(probe.duration),
            max_pixels=probe.width * probe.height,
        ):
            is_cut = detector.add(sample.time, media.hsv_histogram(sample.frame))
            picker.add(sample, is_cut=is_cut)
            if reading is not None:
                reading.handle(sample.time, sample.frame, is_cut=is_cut)
                report("ocr", sample.time / probe.duration)
            if clip_worker is not None and encoder is not None:
                pending.append(encoder.frame_pixels(sample.frame))
                frame_times.append(sample.time)
                if len(pending) == BATCH_SIZE:
                    clip_worker.put(pending)
                    pending = []
                report("visual", clip_worker.done * BATCH_SIZE / expected)
            report("decode", sample.time / probe.duration)
            on_sample()
        decoded = time.perf_counter() - started
        report("decode", 1.0)
        if clip_worker is not None:
            if pending:
                clip_worker.put(pending)
            clip_worker.finish()
    finally:
        if clip_worker is not None:
            clip_worker.close()
    shots = detector.shots(probe.duration)
    if not shots:
        raise EngineError("No frame could be decoded.", transient=False, code="video_file_broken")
    seconds = {"decode": round(decoded - (reading.seconds if reading is not None else 0.0), 3)}
    frames = None
    concepts: tuple[TextSpan, ...] = ()
    if clip_worker is not None and encoder is not None:
        report("visual", 1.0)
        times = np.asarray(frame_times, dtype=np.float64)
        if isinstance(encoder, ConceptClassifier):
            concepts_started = time.perf_counter()
            probabilities = np.concatenate(vectors) if vectors else np.zeros((0, 1000), dtype=np.float32)
            concepts = concept_spans(times, probabilities, interval=1.0 / settings.sample_fps, duration=probe.duration)
            vectors = [encoder.concept_vectors(probabilities)]
            clip_worker.seconds += time.perf_counter() - concepts_started
        seconds["visual"] = round(clip_worker.seconds, 3)
        stacked = np.concatenate(vectors) if vectors else np.zeros((0, encoder.dimensions), dtype=np.float32)
        frames = FrameVectors(times=times, vectors=stacked)
    if reading is not None:
        report("ocr", 1.0)
        seconds["ocr"] = round(reading.seconds, 3)
    return FramePass(
        shots=shots,
        thumbnails=picker.thumbnails(),
        texts=reading.tracker.finish(probe.duration) if reading is not None else (),
        frames=frames,
        concepts=concepts,
        seconds=seconds,
        ocr_reads=reading.reads if reading is not None else 0,
    )
