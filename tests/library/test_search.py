"""POST /v1.2/search on a generated corpus indexed by the real engine: what is found, where, how sure.

The corpus (search_corpus.py) has six scenes of known speech and captions. Each test
asserts on ground truth: the scene a query must find, its time range, its text.
"""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

from typing import Any

import pytest

from search import calibration
from tests.library.search_corpus import MOMENTS, UNRELATED, Moment, cached_analysis, corpus, corpus_paths  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def search(api: Any, index_id: str, query: Any, options: list[str], **params: Any) -> dict[str, Any]:
    response = api.post(
        "/v1.2/search", {"query": query, "index_id": index_id, "search_options": options, **params}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def overlaps(hit: dict[str, Any], moment: Moment) -> bool:
    return hit["start"] < moment.end and hit["end"] > moment.start


def is_hit_of(hit: dict[str, Any], moment: Moment, corpus: dict[str, str]) -> bool:
    return hit["video_id"] == corpus[moment.video] and overlaps(hit, moment)


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.quoted)
def test_a_paraphrase_finds_its_sentence_first(api: Any, index: Any, corpus: dict[str, str], moment: Moment) -> None:
    body = search(api, index.id, moment.paraphrase, ["conversation"], conversation_option="semantic")
    top = body["data"][0]
    assert is_hit_of(top, moment, corpus), (moment.paraphrase, body["data"][:3])
    assert top["metadata"][0]["type"] == "conversation"
    # The matched transcript is the sentence (as whisper wrote it): its words are there.
    assert moment.quoted.split()[-1].lower() in top["metadata"][0]["text"].lower()
    # Tight around the spoken words: inside the scene, not the whole 6 s cell grid.
    assert moment.start <= top["start"] < top["end"] <= moment.end
    assert top["end"] - top["start"] < SCENE_SPEECH_MAX
    assert top["score"] >= calibration.MEDIUM and top["confidence"] in ("medium", "high")
    assert top["modules"] == [{"type": "conversation", "confidence": top["confidence"]}]


# espeak-ng speaks each sentence in under 4 s; a clip of the words must be shorter than the scene.
SCENE_SPEECH_MAX = 4.5


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.quoted)
def test_exact_words_find_their_sentence_with_word_timestamps(
    api: Any, index: Any, corpus: dict[str, str], moment: Moment
) -> None:
    body = search(api, index.id, moment.quoted.upper() + "!", ["conversation"], conversation_option="exact_match")
    assert len(body["data"]) == 1, body["data"]
    hit = body["data"][0]
    assert is_hit_of(hit, moment, corpus)
    assert hit["confidence"] == "high" and hit["score"] >= calibration.VERBATIM_BASE
    # Only the quoted words: a few words of a sentence last well under the sentence.
    assert hit["end"] - hit["start"] < 0.4 * len(moment.quoted.split()) + 0.6
    assert moment.quoted.split()[0].lower() in hit["metadata"][0]["text"].lower()


def test_exact_match_finds_the_phrase_one_word_off_below_every_verbatim_hit(
    api: Any, index: Any, corpus: dict[str, str]
) -> None:
    moment = MOMENTS[0]  # "cooking pasta with tomato sauce", as whisper wrote it
    misheard = moment.quoted.replace("sauce", "sause")
    body = search(api, index.id, misheard, ["conversation"], conversation_option="exact_match")
    assert [is_hit_of(hit, moment, corpus) for hit in body["data"]] == [True], body["data"]
    hit = body["data"][0]
    assert calibration.NEAR_VERBATIM_BASE <= hit["score"] < calibration.HIGH <= calibration.VERBATIM_BASE
    assert hit["confidence"] == "medium"
    # Less sure than the words said: a client asking for `high` evidence gets verbatim hits only.
    assert (
        search(api, index.id, misheard, ["conversation"], conversation_option="exact_match", threshold="high")["data"]
        == []
    )
    # Two words off, or a short word off, is not the phrase.
    for other in ("cooking pasta with potato sause", "won a championship"):
        assert search(api, index.id, other, ["conversation"], conversation_option="exact_match")["data"] == []


def test_exact_match_accepts_the_older_spelling_and_misses_paraphrases(
    api: Any, index: Any, corpus: dict[str, str]
) -> None:
    moment = MOMENTS[0]
    assert search(api, index.id, moment.quoted, ["conversation"], conversation_option="exact")["data"]
    assert search(api, index.id, moment.paraphrase, ["conversation"], conversation_option="exact_match")["data"] == []


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.caption)
def test_each_drawn_text_is_the_top_text_in_video_hit(
    api: Any, index: Any, corpus: dict[str, str], moment: Moment
) -> None:
    body = search(api, index.id, moment.caption_query, ["text_in_video"])
    top = body["data"][0]
    assert is_hit_of(top, moment, corpus), (moment.caption_query, body["data"][:3])
    assert top["confidence"] == "high"
    assert top["metadata"][0]["type"] == "text_in_video"
    assert moment.caption_query.split()[0].lower() in top["metadata"][0]["text"].lower().replace(" ", "") or (
        moment.caption_query.replace(" ", "").lower() in top["metadata"][0]["text"].lower().replace(" ", "")
    )


def test_text_clips_follow_the_time_the_text_was_on_screen(api: Any, index: Any, corpus: dict[str, str]) -> None:
    moment = next(m for m in MOMENTS if m.caption == "LEARN PYTHON")
    top = search(api, index.id, "learn python", ["text_in_video"])["data"][0]
    # Drawn from 1 s to 4 s of its scene; OCR samples at 1 fps.
    assert top["start"] == pytest.approx(moment.start + 1.0, abs=1.01)
    assert top["end"] == pytest.approx(moment.start + 4.0, abs=1.01)


@pytest.mark.parametrize("query", UNRELATED)
def test_an_unrelated_query_returns_nothing_at_medium(api: Any, index: Any, corpus: dict[str, str], query: str) -> None:
    for options in (["conversation"], ["text_in_video"], ["conversation", "text_in_video", "logo"]):
        assert search(api, index.id, query, options, threshold="medium")["data"] == [], (query, options)


def test_unrelated_queries_score_clearly_below_related_ones(api: Any, index: Any, corpus: dict[str, str]) -> None:
    related = [search(api, index.id, m.paraphrase, ["conversation"])["data"][0]["score"] for m in MOMENTS]
    unrelated = [
        hit["score"]
        for query in UNRELATED
        for hit in search(api, index.id, query, ["conversation"], threshold="none")["data"]
    ]
    assert unrelated, "threshold=none returns the best guesses, however weak"
    assert max(unrelated) < calibration.MEDIUM <= min(related)
    assert min(related) - max(unrelated) >= 10


def test_logo_hits_name_the_brand(api: Any, index: Any, corpus: dict[str, str]) -> None:
    moment = next(m for m in MOMENTS if m.caption == "COCA-COLA ZERO")
    for query in ("Coca-Cola", "a man drinks Coca Cola"):
        top = search(api, index.id, query, ["logo"])["data"][0]
        assert is_hit_of(top, moment, corpus)
        assert top["metadata"] == [{"type": "logo", "text": "Coca-Cola"}]
        assert top["confidence"] == "high"
