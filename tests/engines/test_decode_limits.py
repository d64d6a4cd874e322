"""Decoding is bounded by the probe, not by the file (issue 20, hole 1).

The duration limit is checked against the container's header. A Matroska file whose
Segment Duration says 5 s in front of 60 s of frames and sound probes as 5 s; every pass
must then stop at 5 s plus a small slack, and a picture that grows past the probed size
after the start is refused instead of decoded.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from engines.base import EngineError
from engines.local import media
from engines.local.audio import decode_audio
from engines.local.frame_pass import FramePassSettings, run_frame_pass

# "A small slack" past the probed duration; the engine's own is media.DECODE_SLACK_SECONDS.
SLACK = 3.0
SETTINGS = FramePassSettings(
    sample_fps=1.0, shot_threshold=0.4, thumbnail_every=5.0, thumbnail_width=64, ocr_max_gap=2.0
)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _lying_mkv(folder: Path, *, seconds: int, declared: float) -> Path:
    """`seconds` of video and audio whose Segment Duration (EBML 0x4489) says `declared`."""
    honest = folder / "honest.mkv"
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=10:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "libvorbis", "-shortest", str(honest),
    )  # fmt: skip
    data = bytearray(honest.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Duration, an 8-byte float in TimestampScale units (ms)
    assert at > 0, "ffmpeg wrote no Segment Duration"
    assert abs(struct.unpack(">d", data[at + 3 : at + 11])[0] - seconds * 1000) < 100
    data[at + 3 : at + 11] = struct.pack(">d", declared * 1000)
    lying = folder / "lying.mkv"
    lying.write_bytes(bytes(data))
    return lying


@pytest.fixture(scope="module")
def lying_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _lying_mkv(tmp_path_factory.mktemp("lying"), seconds=60, declared=5.0)


def test_a_header_that_understates_the_duration_probes_as_declared(lying_video: Path) -> None:
    probe = media.probe(str(lying_video))
    assert probe.duration == pytest.approx(5.0, abs=0.1)  # the lie the limits are checked against


def test_the_frame_pass_stops_at_the_probed_duration_plus_slack(lying_video: Path) -> None:
    probe = media.probe(str(lying_video))
    samples: list[None] = []
    result = run_frame_pass(
        str(lying_video),
        probe,
        SETTINGS,
        reader=None,
        encoder=None,
        report=lambda stage, fraction: None,
        on_sample=lambda: samples.append(None),
    )
    limit = probe.duration + SLACK
    # One sample per second of allowed media at most (60 before the fix).
    assert len(samples) <= int(limit) + 1
    assert max(thumbnail.time for thumbnail in result.thumbnails) <= limit


def test_iter_samples_defaults_to_the_header_duration(lying_video: Path) -> None:
    times = [sample.time for sample in media.iter_samples(str(lying_video), fps=1.0)]
    assert times and max(times) <= 5.0 + SLACK


def test_audio_decoding_stops_at_the_probed_duration_plus_slack(lying_video: Path) -> None:
    audio = decode_audio(str(lying_video))  # the speech child's call, with the header's duration
    assert 4.0 < audio.duration <= 5.0 + SLACK


def test_a_picture_that_grows_after_the_start_is_refused(tmp_path: Path) -> None:
    """320x240 for 3 s, then 1280x960: the probe saw 320x240, the pass must not decode 4x the pixels."""
    parts = []
    for name, size in (("small.mkv", "320x240"), ("large.mkv", "1280x960")):
        _ffmpeg(
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate=10:duration=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", str(tmp_path / name),
        )  # fmt: skip
        parts.append(f"file {name}\n")
    (tmp_path / "list.txt").write_text("".join(parts))
    grown = tmp_path / "grown.mkv"
    _ffmpeg("-f", "concat", "-i", str(tmp_path / "list.txt"), "-c", "copy", str(grown))
    probe = media.probe(str(grown))
    assert (probe.width, probe.height) == (320, 240)
    with pytest.raises(EngineError) as refused:
        run_frame_pass(
            str(grown), probe, SETTINGS, reader=None, encoder=None, report=lambda s, f: None, on_sample=lambda: None
        )
    assert refused.value.code == "video_resolution_too_high"
