"""Audio the project decodes itself: damaged AC3 frames are skipped with their time kept;
a track of which nothing decodes is a skipped option with a reason."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import av
import pytest

from engines.base import CONVERSATION
from engines.local.audio import SAMPLE_RATE, AudioUndecodable, decode_audio
from engines.local.engine import LocalEngine
from tests.engines.conftest import Analyze
from tests.videos import Scene, VideoTruth, make_video

pytestmark = pytest.mark.models

SENTENCES = (
    "The first part talks about the weather in the mountains.",
    "This sentence in the middle is lost to the damage.",
    "Finally we are cooking pasta with tomato sauce.",
)


def _audio_packets(path: Path) -> list[tuple[float, int, int]]:
    """(time, byte position, size) of each audio packet in the file."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [
            (float(packet.pts * packet.time_base), packet.pos, packet.size)
            for packet in container.demux(stream)
            if packet.size and packet.pts is not None and packet.pos is not None
        ]


def _scramble(path: Path, target: Path, *, start: float, end: float) -> int:
    """Overwrite the bytes of every audio packet between `start` and `end` s; returns how many."""
    data = bytearray(path.read_bytes())
    hit = [(pos, size) for time, pos, size in _audio_packets(path) if start <= time < end]
    for pos, size in hit:
        data[pos : pos + size] = bytes((i * 37 + 11) % 256 for i in range(size))
    target.write_bytes(bytes(data))
    return len(hit)


@pytest.fixture(scope="module")
def ac3_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, VideoTruth]:
    """An AVI with an AC3 track (as the film clip that lost its transcript), three sentences."""
    folder = tmp_path_factory.mktemp("damaged-audio")
    truth = make_video(
        folder / "source.mp4", scenes=[Scene(6.0, "testsrc2", speech=text) for text in SENTENCES], size=(640, 360)
    )
    avi = folder / "clean.avi"
    subprocess.run(
        ["ffmpeg", "-y", "-loglevel", "error", "-i", str(truth.path), "-c:v", "copy", "-c:a", "ac3", str(avi)],
        check=True,
    )
    return avi, truth


def test_damaged_frames_are_skipped_and_the_clock_kept(
    engine: LocalEngine, analyze: Analyze, ac3_video: tuple[Path, VideoTruth]
) -> None:
    clean, truth = ac3_video
    damaged = clean.with_name("damaged.avi")
    middle = truth.speech[1]
    assert _scramble(clean, damaged, start=middle.start + 0.5, end=middle.end - 0.5) > 10

    # faster-whisper's own decoder gives up at the damage; ours keeps going, in time.
    audio = decode_audio(str(damaged))
    assert audio.damaged >= 1
    assert audio.duration == pytest.approx(decode_audio(str(clean)).duration, abs=0.1)

    video = VideoTruth(damaged, truth.duration, truth.size, truth.cuts, truth.texts, truth.speech, True)
    analysis = analyze(engine, video, frozenset({CONVERSATION}))
    assert CONVERSATION not in analysis.skipped
    text = " ".join(line.text.lower() for line in analysis.transcript)
    assert "mountains" in text and "tomato sauce" in text, text
    # The last sentence is where it was said, not pulled forward by the lost packets.
    words = {re.sub(r"\W", "", w.text.lower()): w for line in analysis.transcript for w in line.words}
    last = truth.speech[2]
    assert last.start - 1.0 <= words["tomato"].start <= last.end + 1.0


def test_a_track_that_cannot_be_decoded_is_skipped_with_a_reason(
    engine: LocalEngine, analyze: Analyze, ac3_video: tuple[Path, VideoTruth]
) -> None:
    clean, truth = ac3_video
    broken = clean.with_name("broken.avi")
    _scramble(clean, broken, start=-1.0, end=truth.duration + 1.0)
    with pytest.raises(AudioUndecodable):
        decode_audio(str(broken))

    video = VideoTruth(broken, truth.duration, truth.size, truth.cuts, truth.texts, truth.speech, True)
    analysis = analyze(engine, video, frozenset({CONVERSATION}))
    assert analysis.transcript == ()
    assert "cannot be decoded" in analysis.skipped[CONVERSATION]
    assert "ac3" in analysis.skipped[CONVERSATION]


def test_decoded_audio_is_16_khz_mono_in_range(ac3_video: tuple[Path, VideoTruth]) -> None:
    clean, truth = ac3_video
    audio = decode_audio(str(clean))
    assert audio.samples.ndim == 1 and audio.samples.dtype.name == "float32"
    assert len(audio.samples) == pytest.approx(truth.duration * SAMPLE_RATE, rel=0.02)
    assert audio.damaged == 0 and audio.codec == "ac3"
    assert float(abs(audio.samples).max()) <= 1.0
