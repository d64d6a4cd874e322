"""The audio track as 16 kHz mono float samples, decoded with PyAV, damage and all.

faster-whisper's own `decode_audio` stops at the first packet the decoder refuses, so
one damaged AC3 frame near the start of a film gave an empty transcript. Here each
packet is decoded on its own: a packet that fails is skipped and counted, and the
next good frame is placed at its own timestamp, the gap left silent, so every word
after the damage keeps its time. A track of which nothing decodes raises
`AudioUndecodable` with the decoder's reason; the caller records that, it never
becomes an empty transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engines.errors import decoder_reason

if TYPE_CHECKING:
    import av

SAMPLE_RATE = 16000
# A jump in timestamps shorter than this is decoder jitter, not a lost packet.
_GAP_TOLERANCE = int(0.02 * SAMPLE_RATE)


class AudioUndecodable(Exception):
    """The file has an audio track but none of it could be decoded."""


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # float32 in [-1, 1], SAMPLE_RATE Hz, mono
    packets: int  # audio packets read
    damaged: int  # of those, packets the decoder refused (their time is silence)
    codec: str

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def has_audio(path: str) -> bool:
    import av

    with av.open(path, metadata_errors="ignore") as container:
        return bool(container.streams.audio)


def decode_audio(path: str, *, max_seconds: float | None = None) -> DecodedAudio:
    """The track up to `max_seconds` (default: the container's declared duration plus the
    decoding slack of media.decode_limit): a header that understates the duration must not
    buy hours of decoding and transcription (issue 20, hole 1)."""
    import av

    from engines.local.media import declared_duration, decode_limit

    chunks: list[np.ndarray] = []
    written = 0
    packets = damaged = 0
    first_error = ""
    try:
        container = av.open(path, metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise AudioUndecodable(f"the file could not be opened ({decoder_reason(exc)})") from exc
    with container:
        if not container.streams.audio:
            return DecodedAudio(np.zeros(0, np.float32), 0, 0, "")
        stream = container.streams.audio[0]
        codec = stream.codec_context.name if stream.codec_context else ""
        if max_seconds is None:
            # What the probe reads: the video stream's declared duration (else the container's).
            declared = declared_duration(container, container.streams.video[0] if container.streams.video else stream)
            max_seconds = decode_limit(declared) if declared > 0 else None
        limit = round(max_seconds * SAMPLE_RATE) if max_seconds is not None else None
        start_time = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=SAMPLE_RATE)
        demuxed = container.demux(stream)
        while True:
            try:
                packet = next(demuxed)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:  # the container itself is damaged past here
                first_error = first_error or decoder_reason(exc)
                break
            if limit is not None and (written >= limit or _past(packet, start_time, max_seconds)):
                break  # past the probed end: the rest of the track is never decoded
            if packet.size == 0 and packet.dts is None:
                frames = _decode(packet)  # the flush packet at the end
            else:
                packets += 1
                try:
                    frames = _decode(packet)
                except av.error.FFmpegError as exc:
                    damaged += 1
                    first_error = first_error or decoder_reason(exc)
                    continue
            for frame in frames:
                start = _start_sample(frame)
                for out in resampler.resample(frame):
                    samples = out.to_ndarray()[0].astype(np.float32, copy=False)
                    if start is not None and start - written > _GAP_TOLERANCE:
                        chunks.append(np.zeros(start - written, np.float32))  # lost packets: keep the clock
                        written = start
                    start = None  # the resampler's later outputs of this frame follow on directly
                    chunks.append(samples)
                    written += len(samples)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray()[0].astype(np.float32, copy=False))
    if packets and damaged == packets:
        raise AudioUndecodable(f"none of the {packets} {codec} audio packets could be decoded ({first_error})")
    if not packets and first_error:
        raise AudioUndecodable(f"the audio track could not be read ({first_error})")
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if limit is not None:
        samples = samples[:limit]
    return DecodedAudio(np.clip(samples, -1.0, 1.0), packets, damaged, codec)


def _past(packet: av.Packet, start_time: float, max_seconds: float | None) -> bool:
    if max_seconds is None or packet.pts is None or packet.time_base is None:
        return False
    return float(packet.pts * packet.time_base) - start_time > max_seconds


def _decode(packet: av.Packet) -> list[av.AudioFrame]:
    import av

    decoded: list[object] = list(packet.decode())  # an audio stream's packets decode to audio frames
    return [frame for frame in decoded if isinstance(frame, av.AudioFrame)]


def _start_sample(frame: object) -> int | None:
    pts, time_base = getattr(frame, "pts", None), getattr(frame, "time_base", None)
    if pts is None or time_base is None:
        return None
    return max(0, round(float(pts * time_base) * SAMPLE_RATE))
