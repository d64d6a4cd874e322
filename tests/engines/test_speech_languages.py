"""Speech in Spanish, French and German: detected, transcribed in its language, translated to English."""

from __future__ import annotations

import re

import pytest

from engines.base import CONVERSATION, VideoAnalysis
from engines.local.engine import LocalEngine
from tests.engines.conftest import Analyze
from tests.speech_data import TEST_SENTENCES, language_analysis, language_video
from tests.videos import VideoTruth

pytestmark = pytest.mark.models

# Words of each language's sentences that whisper base hears from espeak-ng (checked by
# bench/speech_wer.py; the WERs there say how much else it mishears).
HEARD = {
    "es": ("soleado", "puerta", "salgas", "hermano", "fútbol"),
    "fr": ("paris", "matin", "porte", "salle", "samedis"),
    "de": ("berlin", "morgens", "suppe", "kartoffeln", "wochenende"),
}
ENGLISH_WORDS = {"the", "and", "is", "to", "of", "we", "you", "in", "with", "this"}


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_speech_is_detected_and_transcribed_in_its_language(language: str) -> None:
    analysis = language_analysis(language)
    assert analysis.language == language
    assert "whisper-base" in analysis.versions["asr"]
    words = _words(" ".join(line.text for line in analysis.transcript))
    found = [word for word in HEARD[language] if word in words]
    assert len(found) >= 3, (found, words)
    # In its own words, not an English rendering of the sounds.
    assert sum(word in ENGLISH_WORDS for word in words) <= 1, words


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_lines_are_where_the_sentences_were_spoken(language: str) -> None:
    analysis, truth = language_analysis(language), language_video(language)
    assert len(analysis.transcript) == len(TEST_SENTENCES[language])
    for line, spoken in zip(analysis.transcript, truth.speech, strict=True):
        assert spoken.start - 1.0 <= line.start and line.end <= spoken.end + 1.0, (line, spoken)


def test_other_languages_get_an_english_translation_on_the_same_lines() -> None:
    analysis = language_analysis("es")
    assert [(t.start, t.end) for t in analysis.translation] == [(t.start, t.end) for t in analysis.transcript]
    english = _words(" ".join(line.text for line in analysis.translation))
    assert sum(word in ENGLISH_WORDS for word in english) >= 3, english
    assert {"brother", "door"} & set(english), english
    # Segments keep the Spanish words (exact matches) and embed the English (meaning).
    spoken = [s for s in analysis.segments if s.transcript]
    assert spoken and all(s.translation and s.conversation_vector is not None for s in spoken)
    assert any("puerta" in s.transcript.lower() and "door" in s.translation.lower() for s in spoken)


def test_english_needs_no_translation_and_uses_tiny_en(analysis: VideoAnalysis) -> None:
    assert analysis.language == "en"
    assert analysis.translation == ()
    assert "tiny.en" in analysis.versions["asr"]
    assert all(s.translation == "" for s in analysis.segments)


def test_the_upload_language_is_honoured_over_detection(engine: LocalEngine, analyze: Analyze) -> None:
    # Named English, the Spanish video goes to the English model: no detection overrides it.
    video: VideoTruth = language_video("es")
    path = str(video.path)
    named = engine.analyze(
        path,
        probe=engine.probe(path),
        options=frozenset({CONVERSATION}),
        thumbnails=False,
        progress=lambda stage, fraction: None,
        language="en",
    )
    assert named.language == "en"
    assert "tiny.en" in named.versions["asr"]
    assert named.translation == ()
