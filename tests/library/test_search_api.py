"""The search API's contract: pages and tokens, group_by, filters, combined queries, errors, teams."""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

import time
from typing import Any

import pytest

from library.models import Index, Video
from tests.factories import IndexFactory
from tests.library.search_corpus import MOMENTS, cached_analysis, corpus, corpus_paths  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def post(api: Any, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return api.post(path, data, format=kwargs.pop("format", "json"), **kwargs)


def search(api: Any, index_id: str, query: Any, options: list[str], **params: Any) -> dict[str, Any]:
    response = post(api, "/v1.2/search", {"query": query, "index_id": index_id, "search_options": options, **params})
    assert response.status_code == 200, response.content
    return response.json()


def clip_key(clip: dict[str, Any]) -> tuple[str, float, float]:
    return (clip["video_id"], clip["start"], clip["end"])


def test_page_tokens_walk_every_result_once(api: Any, index: Any, corpus: dict[str, str]) -> None:
    everything = search(api, index.id, "weather", ["conversation", "text_in_video"], threshold="none", page_limit=50)
    total = everything["page_info"]["total_results"]
    assert total == len(everything["data"]) >= 7

    first = search(api, index.id, "weather", ["conversation", "text_in_video"], threshold="none", page_limit=3)
    pages, body = [first["data"]], first
    assert first["page_info"]["prev_page_token"] is None
    while body["page_info"]["next_page_token"]:
        response = api.get(f"/v1.2/search/{body['page_info']['next_page_token']}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["search_pool"] == first["search_pool"]
        assert body["page_info"]["page_expired_at"] == first["page_info"]["page_expired_at"]
        pages.append(body["data"])
    walked = [clip_key(clip) for page in pages for clip in page]
    assert len(walked) == len(set(walked)) == total
    assert walked == [clip_key(clip) for clip in everything["data"]]
    assert [len(page) for page in pages[:-1]] == [3] * (len(pages) - 1)
    scores = [clip["score"] for page in pages for clip in page]
    assert scores == sorted(scores, reverse=True)

    # The previous page of the last page is the one before it, again.
    back = api.get(f"/v1.2/search/{body['page_info']['prev_page_token']}").json()
    assert back["data"] == pages[-2]
    # search-v2 serves the same tokens (the SDK's by_page_token path).
    assert api.get(f"/v1.2/search-v2/{first['page_info']['next_page_token']}/").json()["data"] == pages[1]


def test_expired_and_forged_tokens_answer_400(api: Any, index: Any, corpus: dict[str, str], settings: Any) -> None:
    settings.FRAMEWISE_PAGE_TOKEN_TTL = 1
    body = search(api, index.id, "weather", ["conversation", "text_in_video"], threshold="none", page_limit=1)
    token = body["page_info"]["next_page_token"]
    forged = api.get(f"/v1.2/search/{token[:-3]}abc")
    assert (forged.status_code, forged.json()["code"]) == (400, "parameter_invalid")
    assert "page token" in forged.json()["message"]
    time.sleep(2.1)
    expired = api.get(f"/v1.2/search/{token}")
    assert (expired.status_code, expired.json()["code"]) == (400, "token_expired")
    assert "run the search again" in expired.json()["message"]


def test_group_by_video_lists_each_video_with_its_clips(api: Any, index: Any, corpus: dict[str, str]) -> None:
    body = search(api, index.id, "drink water or eat pasta", ["conversation"], group_by="video", threshold="none")
    groups = body["data"]
    assert sorted(group["id"] for group in groups) == sorted(corpus.values())
    for group in groups:
        assert group["clips"] and all(clip["video_id"] == group["id"] for clip in group["clips"])
        assert [c["score"] for c in group["clips"]] == sorted((c["score"] for c in group["clips"]), reverse=True)
    assert body["page_info"]["total_results"] == 2
    best = [group["clips"][0]["score"] for group in groups]
    assert best == sorted(best, reverse=True)

    by_count = search(api, index.id, "Paris sale news", ["text_in_video"], group_by="video", sort_option="clip_count",
                      threshold="none")["data"]  # fmt: skip
    counts = [len(group["clips"]) for group in by_count]
    assert counts == sorted(counts, reverse=True)


def test_filters_restrict_the_videos(api: Any, index: Any, corpus: dict[str, str]) -> None:
    kitchen, hiking = corpus["kitchen.mp4"], corpus["hiking.mp4"]
    query = ("the weather", ["conversation", "text_in_video"])

    def videos(**params: Any) -> set[str]:
        return {clip["video_id"] for clip in search(api, index.id, *query, threshold="none", **params)["data"]}

    assert videos() == {kitchen, hiking}
    assert videos(filter={"id": [hiking]}) == {hiking}
    assert videos(filter={"filename": "kitchen.mp4"}) == {kitchen}
    assert videos(filter={"duration": {"gte": 17.5, "lte": 18.5}, "width": 960}) == {kitchen, hiking}
    assert videos(filter={"height": {"gt": 540}}) == set()
    Video.objects.filter(id=hiking).update(user_metadata={"topic": "outdoors", "views": 1200})
    assert videos(filter={"topic": "outdoors"}) == {hiking}
    assert videos(filter={"views": {"gte": 1000}}) == {hiking}
    for bad in ({"duration": "long"}, {"width": {"about": 3}}, ["id"], {"id": 5}):
        response = post(api, "/v1.2/search", {"query": "x", "index_id": index.id, "search_options": ["conversation"],
                                              "filter": bad})  # fmt: skip
        assert (response.status_code, response.json()["code"]) == (400, "parameter_invalid"), bad


def test_operator_and_requires_every_option(api: Any, index: Any, corpus: dict[str, str]) -> None:
    # "Paris" is drawn in the cooking scene: on screen, but never said.
    either = search(api, index.id, "Paris", ["conversation", "text_in_video"])["data"]
    assert either and either[0]["metadata"][0]["type"] == "text_in_video"
    both = search(api, index.id, "Paris", ["conversation", "text_in_video"], operator="and", threshold="high")
    assert both["data"] == []


def test_combined_queries(api: Any, index: Any, corpus: dict[str, str]) -> None:
    def combined(query: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
        options = ["conversation", "text_in_video"]
        payload = {"query": query, "index_id": index.id, "search_options": options, **params}
        response = post(api, "/v1.2/search/combined", payload)
        assert response.status_code == 200, response.content
        assert response.json()["search_pool"]["index_id"] == index.id
        return response.json()["data"]

    pasta, football = MOMENTS[0], MOMENTS[1]
    either = combined({"$or": [{"text": pasta.quoted}, {"text": football.quoted}]}, threshold="high")
    kitchen = corpus["kitchen.mp4"]
    assert {(c["video_id"], c["start"] // 6) for c in either} == {(kitchen, 0), (kitchen, 1)}
    # Said and shown in the same scene.
    both = combined({"$and": [{"text": "pasta", "search_options": ["conversation"]},
                              {"text": "Paris", "search_options": ["text_in_video"]}]})  # fmt: skip
    assert [c["video_id"] for c in both] == [corpus["kitchen.mp4"]] and both[0]["start"] < 6
    # "SUMMER SALE" is on screen for all of scene 1 (6-12 s), where the football sentence is said.
    sale = combined({"$or": [{"text": "summer sale", "search_options": ["text_in_video"]}]})
    assert any(c["start"] < 8 for c in sale if c["video_id"] == corpus["kitchen.mp4"])
    minus = combined({"$not": {"origin": {"text": "summer sale", "search_options": ["text_in_video"]},
                               "sub": {"text": "football", "search_options": ["conversation"]}}})  # fmt: skip
    # Cells follow utterances: what is left of scene 1 is the time after the football sentence.
    said = [c for c in combined({"$or": [{"text": "football", "search_options": ["conversation"]}]})
            if c["video_id"] == corpus["kitchen.mp4"]]  # fmt: skip
    assert said and minus
    assert all(c["start"] >= s["end"] - 0.5 or c["end"] <= s["start"] + 0.5 for c in minus for s in said
               if c["video_id"] == corpus["kitchen.mp4"])  # fmt: skip
    # "rainy and cold" against the whole sentence scores near the medium/high border (78-81, by
    # how whisper punctuates it), so the ordering checks use medium, where it is clearly in.
    ordered = combined({"$then": [{"text": pasta.quoted}, {"text": "rainy and cold"}]}, threshold="medium")
    assert ordered and {c["video_id"] for c in ordered} == {corpus["kitchen.mp4"]}
    assert combined({"$then": [{"text": "rainy and cold"}, {"text": pasta.quoted}]}, threshold="medium") == []
    # The SDK's older path sends a combined query to /search.
    assert search(api, index.id, {"$or": [{"text": pasta.quoted}]}, ["conversation"])["data"]


def test_search_v2_form_is_the_same_search(api: Any, index: Any, corpus: dict[str, str]) -> None:
    moment = MOMENTS[3]
    response = api.post("/v1.2/search-v2", {"index_id": index.id, "query_text": moment.paraphrase,
                                            "search_options": ["conversation"], "page_limit": "5",
                                            "filter": '{"filename": "hiking.mp4"}',
                                            "dummy": ""}, format="multipart")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"][0]["video_id"] == corpus["hiking.mp4"] and body["data"][0]["start"] < 6
    assert body["page_info"]["limit_per_page"] == 5
    pool = {"total_count": 2, "total_duration": pytest.approx(36.0, abs=0.2), "index_id": index.id}
    assert body["search_pool"] == pool
    thumbnail = api.get(body["data"][0]["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ({"query": "", "search_options": ["conversation"]}, "parameter_not_provided", "query"),
        ({"query": "   ", "search_options": ["conversation"]}, "parameter_invalid", "non-empty"),
        ({"query": "x"}, "parameter_not_provided", "search_options"),
        ({"query": "x", "search_options": ["smell"]}, "parameter_invalid", "smell"),
        ({"query": "x", "search_options": ["conversation"], "threshold": "very"}, "parameter_invalid", "threshold"),
        ({"query": "x", "search_options": ["conversation"], "page_limit": 51}, "parameter_invalid", "page_limit"),
        ({"query": "x", "search_options": ["conversation"], "group_by": "scene"}, "parameter_invalid", "group_by"),
        ({"query": "x", "search_options": ["conversation"], "conversation_option": "fuzzy"}, "parameter_invalid",
         "conversation_option"),
        ({"query": "x", "search_options": ["conversation"], "colour": 1}, "parameter_unknown", "colour"),
        ({"query": {"$xor": []}, "search_options": ["conversation"]}, "parameter_invalid", "$xor"),
        ({"query": "x" * 501, "search_options": ["conversation"]}, "parameter_invalid", "500"),
    ],
)  # fmt: skip
def test_bad_requests_answer_400_with_a_code(api: Any, index: Any, payload: dict, code: str, words: str) -> None:
    response = post(api, "/v1.2/search", {"index_id": index.id, **payload})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and words in response.json()["message"]


def test_option_not_enabled_on_the_index(api: Any) -> None:
    index = IndexFactory(team=api.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual"]}])
    response = post(api, "/v1.2/search", {"query": "x", "index_id": index.id, "search_options": ["conversation"]})
    assert (response.status_code, response.json()["code"]) == (400, "index_option_not_enabled")
    assert "visual" in response.json()["message"]


def test_visual_skipped_at_indexing_is_a_clear_400(
    no_visual_model: None, api: Any, index: Any, corpus: dict[str, str]
) -> None:
    # Neither CLIP nor the concept classifier: every video skipped visual, and says why.
    assert all("visual" in video.skipped for video in Video.objects.filter(index=index))
    response = post(api, "/v1.2/search", {"query": "a man drinks Coca Cola", "index_id": index.id,
                                          "search_options": ["visual"]})  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (400, "visual_model_unavailable")
    assert "FRAMEWISE_CLIP_MODEL" in response.json()["message"] and "re-index" in response.json()["message"]


def test_other_teams_see_neither_the_index_nor_its_pages(
    api: Any, other_api: Any, index: Any, corpus: dict[str, str]
) -> None:
    body = search(api, index.id, "weather", ["conversation", "text_in_video"], threshold="none", page_limit=1)
    response = post(other_api, "/v1.2/search", {"query": "weather", "index_id": index.id,
                                                "search_options": ["conversation"]})  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (404, "resource_not_exist")
    stolen = other_api.get(f"/v1.2/search/{body['page_info']['next_page_token']}")
    assert stolen.status_code == 400 and stolen.json()["code"] == "parameter_invalid"
    own = IndexFactory(team=other_api.team)
    assert search(other_api, own.id, "weather", ["conversation"])["data"] == []


def test_an_empty_index_answers_with_an_empty_pool(api: Any, index: Any) -> None:
    body = search(api, index.id, "anything", ["conversation", "visual"])
    assert body["data"] == []
    assert body["search_pool"] == {"total_count": 0, "total_duration": 0.0, "index_id": index.id}
    assert body["page_info"]["total_results"] == 0 and body["page_info"]["next_page_token"] is None


def test_results_follow_new_content(api: Any, index: Any, corpus: dict[str, str]) -> None:
    moment = MOMENTS[4]
    assert search(api, index.id, moment.paraphrase, ["conversation"])["data"][0]["video_id"] == corpus["hiking.mp4"]
    api.delete(f"/v1.2/indexes/{index.id}/videos/{corpus['hiking.mp4']}")
    assert Index.objects.get(id=index.id).content_version >= 3
    body = search(api, index.id, moment.paraphrase, ["conversation"], threshold="medium")
    assert body["data"] == [] and body["search_pool"]["total_count"] == 1


def test_native_search_spans_every_index_of_the_team(api: Any, index: Any, corpus: dict[str, str]) -> None:
    visual_only = IndexFactory(team=api.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual"]}])
    response = post(api, "/api/v1/search/", {"query": MOMENTS[1].paraphrase, "search_options": ["conversation"],
                                             "page_limit": 1, "threshold": "none"})  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    top = body["data"][0]
    assert (top["index_id"], top["video_id"]) == (index.id, corpus["kitchen.mp4"]) and 6 <= top["start"] < 12
    # The visual-only index cannot be searched on conversation: it is left out, not an error.
    assert [pool["index_id"] for pool in body["search_pool"]] == [index.id]
    nxt = api.get(f"/api/v1/search/{body['page_info']['next_page_token']}/")
    assert nxt.status_code == 200 and nxt.json()["data"][0]["index_id"] == index.id
    assert post(api, "/api/v1/search/", {"query": "x", "search_options": ["visual"],
                                         "index_ids": [visual_only.id]}).status_code == 200  # fmt: skip
    missing = post(api, "/api/v1/search/", {"query": "x", "search_options": ["conversation"], "index_ids": ["nope"]})
    assert missing.status_code == 404
