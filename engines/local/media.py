"""Decoding with PyAV: probing, one linear pass of 1 fps samples, shot cuts, thumbnails.

Measured on this machine (shared/notes/offline-models.md §3a): a threaded linear decode
that skips B-frames samples 1 fps at 0.013 x the video's duration, 3.6x cheaper than
seeking per sample; shot cuts from HSV histograms of those samples found 7/7 cuts for
+0.1 s per 2 minutes. So the video is decoded once and every stage reads the samples.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from PIL import Image

from engines.base import EngineError, MediaProbe, Shot, Thumbnail
from engines.errors import decoder_reason

# Decoding never goes past the probed duration plus this slack. The duration limit is
# checked against the container's header, and a header can lie: a 60-s file that
# declares 5 s probed as 5 s and the frame pass then decoded all 60 s (issue 20, hole 1).
# The slack matches the probe's own tolerance for a last frame with a long display time.
DECODE_SLACK_SECONDS = 2.5
# Decoded frames per second of allowed duration at most: a stream whose timestamps crawl
# (thousands of frames a second) cannot multiply the work behind an honest-looking duration.
MAX_FRAMES_PER_SECOND = 240


def decode_limit(duration: float) -> float:
    """Seconds of media any pass may decode for a video probed at `duration` seconds."""
    return max(0.0, duration) + DECODE_SLACK_SECONDS


def max_frames(limit: float) -> int:
    """Frames any pass may decode within `limit` seconds (B-frames skipped or not)."""
    return int(limit * MAX_FRAMES_PER_SECOND) + MAX_FRAMES_PER_SECOND


# First bytes of containers we would expect a video in; used only to tell a damaged
# video ("video_file_broken") from a file that was never a video ("unsupported_file_type").
_MEDIA_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # MP4 / MOV / 3GP
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"wide"),
    (4, b"free"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska / WebM
    (0, b"RIFF"),  # AVI
    (0, b"FLV"),
    (0, b"OggS"),
    (0, b"\x00\x00\x01\xba"),  # MPEG-PS
    (0, b"\x30\x26\xb2\x75"),  # ASF / WMV
)


def _looks_like_media(path: str) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head[:1] == b"\x47":  # MPEG-TS sync byte
        return True
    return any(head[offset : offset + len(sig)] == sig for offset, sig in _MEDIA_SIGNATURES)


def probe(path: str) -> MediaProbe:
    """Open the container and check that its video stream really decodes, start and end."""
    size = os.path.getsize(path)
    if size == 0:
        raise EngineError("The file is empty.", transient=False, code="video_file_broken")
    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        if _looks_like_media(path):
            raise EngineError(
                f"The video file is damaged or truncated and cannot be decoded ({decoder_reason(exc)}).",
                transient=False,
                code="video_file_broken",
            ) from exc
        raise EngineError(
            "The file is not a video in a format we can decode (MP4, MOV, MKV, WebM, AVI, ...).",
            transient=False,
            code="unsupported_file_type",
        ) from exc
    with container:
        if not container.streams.video:
            raise EngineError("The file has no video stream.", transient=False, code="unsupported_file_type")
        stream = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = declared_duration(container, stream)
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        width = int(stream.codec_context.width or 0)
        height = int(stream.codec_context.height or 0)
        if width == 0 or height == 0 or duration <= 0:
            raise EngineError(
                "The video stream has no picture size or duration.", transient=False, code="video_file_broken"
            )
        _check_decodes(container, stream, duration)
        return MediaProbe(
            duration=round(duration, 6),
            fps=round(fps, 6),
            width=width,
            height=height,
            size=size,
            container=container.format.name,
            video_codec=stream.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else "",
            has_audio=audio is not None,
        )


def declared_duration(container: av.container.InputContainer, stream: av.VideoStream | av.AudioStream) -> float:
    """The duration the header declares (what the duration limits are checked against)."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _check_decodes(container: av.container.InputContainer, stream: av.VideoStream, duration: float) -> None:
    """Decode a frame at the start and one near the end: a cut-off upload fails here.

    A truncated MP4 whose index (moov) survived still opens and reports its full
    duration; only decoding the tail shows the missing data.
    """
    try:
        first = next(container.decode(stream), None)
        if first is None:
            raise EngineError("No frame could be decoded.", transient=False, code="video_file_broken")
        tail_target = max(0.0, duration - 1.5)
        time_base = stream.time_base or Fraction(1, av.time_base)  # always set on decoded streams
        container.seek(int(tail_target / time_base), stream=stream, backward=True)
        last_time = 0.0
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        limit, budget = decode_limit(duration), max_frames(decode_limit(duration))
        for frame in container.decode(stream):
            if frame.time is not None:
                last_time = frame.time
                if frame.time - start > limit:
                    break  # frames go on past the declared end: enough to know it is not truncated
            budget -= 1
            if budget <= 0:
                break
    except av.FFmpegError as exc:
        raise EngineError(
            f"The video stream is damaged and cannot be decoded ({decoder_reason(exc)}).",
            transient=False,
            code="video_file_broken",
        ) from exc
    start_time = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
    # Frames must reach close to the advertised end; allow a second of slack for
    # containers whose last frame has a long display time.
    if last_time - start_time < duration - 2.5:
        raise EngineError(
            f"The video stops at {last_time - start_time:.1f}s of an advertised {duration:.1f}s: "
            "the file is truncated.",
            transient=False,
            code="video_file_broken",
        )


@dataclass(frozen=True)
class Sample:
    """One sampled frame. `frame` is the decoded PyAV frame; reformat it as needed."""

    time: float
    frame: av.VideoFrame


def iter_samples(
    path: str, *, fps: float, max_seconds: float | None = None, max_pixels: int | None = None
) -> Iterator[Sample]:
    """Yield about `fps` frames per second from one linear, threaded decode.

    Decoding stops at `max_seconds` (default: the header's duration plus the slack) and
    after `max_frames` decoded frames; a picture larger than `max_pixels` (default: the
    header's picture size) stops the pass with `video_resolution_too_high`, as the probe
    only saw the header's size.
    """
    interval = 1.0 / fps
    with av.open(path, metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        if max_seconds is None:
            max_seconds = decode_limit(declared_duration(container, stream))
        if max_pixels is None:
            max_pixels = int(stream.codec_context.width or 0) * int(stream.codec_context.height or 0)
        budget = max_frames(max_seconds)
        stream.thread_type = "AUTO"
        # Only B-frames are skipped: samples land at most a frame or two late, and
        # decoding costs about half (offline-models.md §3a).
        stream.codec_context.skip_frame = "BIDIR"
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        next_time = 0.0
        try:
            for frame in container.decode(stream):
                budget -= 1
                if budget < 0:
                    return
                if max_pixels and frame.width * frame.height > max_pixels:
                    raise EngineError(
                        f"The picture grows to {frame.width}x{frame.height} after the start of the video.",
                        transient=False,
                        code="video_resolution_too_high",
                    )
                if frame.time is None:
                    continue
                t = frame.time - start
                if t > max_seconds:
                    return  # past the probed end: the header understated the duration
                if t + 1e-6 < next_time:
                    continue
                yield Sample(time=max(0.0, t), frame=frame)
                next_time = (int(t / interval) + 1) * interval
        except av.FFmpegError:
            # A damaged tail after validation passed: keep what decoded.
            return


def hsv_histogram(frame: av.VideoFrame) -> np.ndarray:
    """A 16x4x4 HSV histogram of a 64x36 thumbnail, normalised to sum 1."""
    rgb = frame.to_ndarray(format="rgb24", width=64, height=36)
    hsv = np.asarray(Image.fromarray(rgb).convert("HSV"), dtype=np.uint8)
    h = hsv[..., 0] >> 4
    s = hsv[..., 1] >> 6
    v = hsv[..., 2] >> 6
    bins = np.bincount((h.astype(np.int32) * 16 + s * 4 + v).ravel(), minlength=256)
    return (bins / bins.sum()).astype(np.float32)


def bhattacharyya(a: np.ndarray, b: np.ndarray) -> float:
    """Distance in [0, 1] between two normalised histograms (0 = identical)."""
    coefficient = float(np.sum(np.sqrt(a * b)))
    return float(np.sqrt(max(0.0, 1.0 - coefficient)))


class ShotDetector:
    """Cuts where consecutive samples' colour histograms differ by more than `threshold`."""

    def __init__(self, *, threshold: float = 0.4) -> None:
        self.threshold = threshold
        self._previous: np.ndarray | None = None
        self._starts: list[float] = []

    def add(self, time: float, histogram: np.ndarray) -> bool:
        """Feed the next sample; True when it starts a new shot."""
        is_cut = self._previous is None or bhattacharyya(self._previous, histogram) > self.threshold
        self._previous = histogram
        if is_cut:
            self._starts.append(time)
        return is_cut

    def shots(self, duration: float) -> tuple[Shot, ...]:
        starts = self._starts or [0.0]
        starts[0] = 0.0
        ends = starts[1:] + [duration]
        return tuple(
            Shot(start=round(s, 3), end=round(e, 3), keyframe=round(min(s + (e - s) / 2, s + 1.0), 3))
            for s, e in zip(starts, ends, strict=True)
            if e > s
        )


def encode_jpeg(frame: av.VideoFrame, *, width: int, quality: int = 80) -> bytes:
    """A JPEG `width` pixels wide keeping the aspect ratio (even height for codecs)."""
    height = max(2, int(round(frame.height * width / frame.width / 2)) * 2)
    image = Image.fromarray(frame.to_ndarray(format="rgb24", width=width, height=height))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


class ThumbnailPicker:
    """Keeps a thumbnail at every shot start and at least every `every` seconds.

    Stored thumbnails let `/thumbnail?time=` and search hits show the nearest picture
    without decoding the video again.
    """

    def __init__(self, *, every: float = 5.0, width: int = 320) -> None:
        self.every = every
        self.width = width
        self._thumbnails: list[Thumbnail] = []

    def add(self, sample: Sample, *, is_cut: bool) -> None:
        last = self._thumbnails[-1].time if self._thumbnails else None
        if last is None or is_cut or sample.time - last >= self.every - 1e-6:
            self._thumbnails.append(
                Thumbnail(time=round(sample.time, 3), jpeg=encode_jpeg(sample.frame, width=self.width))
            )

    def thumbnails(self) -> tuple[Thumbnail, ...]:
        return tuple(self._thumbnails)


def decode_image(data: bytes) -> av.VideoFrame:
    """The first frame of an encoded image (PNG, JPEG, WebP, ...): an image search query."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            return next(container.decode(video=0))
    except (av.FFmpegError, StopIteration, ValueError, IndexError) as exc:
        raise EngineError("The query image could not be decoded.", transient=False, code="image_invalid") from exc
