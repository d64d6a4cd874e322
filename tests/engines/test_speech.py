"""Speech: whisper in its child process, word timestamps, silence, and a dying child."""

from __future__ import annotations

import os
import re
import signal
import sys

import pytest

from engines.base import CONVERSATION, EngineError, VideoAnalysis
from engines.local.asr import SpeechRecognizer
from engines.local.engine import LocalEngine
from tests.engines.conftest import Analyze
from tests.videos import VideoTruth

pytestmark = pytest.mark.models
TOLERANCE = 1.5  # seconds between a word's timestamp and when the sentence was spoken


def _words(analysis: VideoAnalysis) -> list[tuple[str, float, float]]:
    return [
        (re.sub(r"\W", "", word.text.lower()), word.start, word.end)
        for line in analysis.transcript
        for word in line.words
    ]


@pytest.mark.parametrize(
    ("sentence", "keywords"),
    [(0, ("running", "shoe", "store")), (1, ("cooking", "pasta", "tomato", "sauce"))],
)
def test_spoken_words_are_found_when_they_were_said(
    analysis: VideoAnalysis, main_video: VideoTruth, sentence: int, keywords: tuple[str, ...]
) -> None:
    truth = main_video.speech[sentence]
    words = _words(analysis)
    for keyword in keywords:
        times = [(start, end) for text, start, end in words if text == keyword]
        assert times, f"{keyword!r} not in {[w[0] for w in words]}"
        start, end = times[0]
        assert truth.start - TOLERANCE <= start and end <= truth.end + TOLERANCE, (keyword, start, end, truth)


def test_transcript_lines_hold_their_words(analysis: VideoAnalysis) -> None:
    assert analysis.transcript
    for line in analysis.transcript:
        assert line.text.strip()
        assert line.words
        assert all(line.start - 0.5 <= w.start <= w.end <= line.end + 0.5 for w in line.words)


def test_silence_gives_an_empty_transcript(engine: LocalEngine, silent_video: VideoTruth, analyze: Analyze) -> None:
    analysis = analyze(engine, silent_video, frozenset({CONVERSATION}))
    assert analysis.transcript == ()
    assert CONVERSATION not in analysis.skipped
    assert all(s.conversation_vector is None and s.transcript == "" for s in analysis.segments)


def test_no_audio_stream_gives_an_empty_transcript(
    engine: LocalEngine, mute_video: VideoTruth, analyze: Analyze
) -> None:
    analysis = analyze(engine, mute_video, frozenset({CONVERSATION}))
    assert analysis.transcript == ()
    assert analysis.skipped == {}
    assert analysis.segments[-1].end == pytest.approx(mute_video.duration)


def test_a_killed_child_is_replaced(engine: LocalEngine, main_video: VideoTruth, analyze: Analyze) -> None:
    recognizer = engine._speech_recognizer()
    recognizer.start()
    old_pid = recognizer.pid
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    analysis = analyze(engine, main_video, frozenset({CONVERSATION}))
    assert "pasta" in " ".join(line.text.lower() for line in analysis.transcript)
    assert recognizer.pid not in (None, old_pid)


def test_a_child_that_keeps_dying_is_a_transient_error(main_video: VideoTruth) -> None:
    # A "server" that says it is ready, takes the request and exits without an answer.
    script = 'import sys; print(\'{"event": "ready"}\', flush=True); sys.stdin.readline()'
    recognizer = SpeechRecognizer(command=[sys.executable, "-c", script])
    job = recognizer.submit(str(main_video.path), language="en", beam_size=1, timeout=30)
    with pytest.raises(EngineError) as caught:
        job.wait(lambda fraction: None)
    assert caught.value.transient is True
    assert caught.value.code == "asr_failed"
    recognizer.close()


def test_a_missing_model_is_a_permanent_error(tmp_path: os.PathLike[str]) -> None:
    recognizer = SpeechRecognizer(str(tmp_path))
    with pytest.raises(EngineError) as caught:
        recognizer.start()
    assert caught.value.transient is False
    assert caught.value.code == "asr_model_unavailable"
    recognizer.close()


def test_speech_is_transcribed_window_by_window_with_the_times_of_one_pass(
    main_video: VideoTruth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whisper runs on at most WINDOW_SECONDS of speech at a time (its features for a whole
    long track cost hundreds of MB); cut between VAD stretches, nothing else changes."""
    from engines.local import asr_server
    from engines.local.audio import decode_audio
    from engines.local.speech_models import TINY_EN, model_path

    model = asr_server.Models(threads=1, compute_type="int8").get(str(model_path(TINY_EN)))
    samples = decode_audio(str(main_video.path)).samples

    def words(window: float) -> tuple[int, list[tuple[str, float, float]]]:
        monkeypatch.setattr(asr_server, "WINDOW_SECONDS", window)
        speech = asr_server.Speech.find(samples)
        segments, _ = asr_server._run(model, speech, on_fraction=lambda f: None, words=True, language="en")
        found = [(re.sub(r"\W", "", w.word.lower()), w.start, w.end) for s in segments for w in s.words or ()]
        return len(speech.windows()), found

    windows, whole = words(600.0)
    assert windows == 1
    # A window just longer than the longest sentence: no sentence is split, each has its own.
    windows, cut = words(max(truth.end - truth.start for truth in main_video.speech) + 1.0)
    assert windows == len(main_video.speech) == 2
    assert [text for text, _, _ in cut] == [text for text, _, _ in whole]
    # Word times move a little with the window (whisper aligns words within what it hears).
    assert max(abs(a[1] - b[1]) for a, b in zip(cut, whole, strict=True)) < 1.0
    for truth in main_video.speech:  # and in the original audio's time
        said = [start for text, start, _ in cut if truth.start - TOLERANCE <= start <= truth.end + TOLERANCE]
        assert said, (truth, cut)
