"""Search over speech in other languages: an English query finds a Spanish sentence by the
meaning of its English translation; exact_match finds a Spanish phrase in its own words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.generation_data import store_ready_video
from tests.speech_data import language_analysis, language_video

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def videos(index: Any) -> dict[str, Any]:
    """The Spanish and the German video of tests/speech_data.py, analysed by the engine, stored ready."""
    return {
        language: store_ready_video(index, language_video(language).path, language_analysis(language))
        for language in ("es", "de")
    }


def search(api: Any, index: Any, query: str, option: str) -> list[dict[str, Any]]:
    response = api.post(
        "/v1.2/search",
        {"query": query, "index_id": index.id, "search_options": ["conversation"], "conversation_option": option},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_an_english_query_finds_the_spanish_sentence_by_meaning(api: Any, index: Any, videos: dict[str, Any]) -> None:
    spoken = language_video("es").speech[2]  # "Mi hermano juega al fútbol todos los sábados."
    hits = search(api, index, "my brother plays soccer on saturdays", "semantic")
    top = hits[0]
    assert top["video_id"] == videos["es"].id
    assert top["start"] < spoken.end and top["end"] > spoken.start, (top, spoken)
    # The text shown is what was said, in Spanish.
    assert "hermano" in top["metadata"][0]["text"].lower()


def test_exact_match_finds_a_spanish_phrase_in_its_own_words(api: Any, index: Any, videos: dict[str, Any]) -> None:
    spoken = language_video("es").speech[1]  # "Por favor cierra la puerta cuando salgas."
    hits = search(api, index, "cierra la puerta", "exact_match")
    assert hits and all(hit["video_id"] == videos["es"].id for hit in hits)
    assert hits[0]["start"] < spoken.end and hits[0]["end"] > spoken.start
    # Its English translation is not what exact_match reads.
    assert search(api, index, "close the door", "exact_match") == []


def test_the_translation_is_stored_beside_the_transcript(videos: dict[str, Any]) -> None:
    video = videos["es"]
    assert video.language == "es"
    assert [(t["start"], t["end"]) for t in video.translation] == [(t["start"], t["end"]) for t in video.transcript]
    spoken = [s for s in video.segments.all() if s.transcript]
    assert spoken and all(s.translation for s in spoken)
