"""POST /v1.3/search through the one search service: modalities mapped onto Framewise's options,
ranks, pages by token, composed text+image queries, and the 4xx answers.

The corpus (search_corpus.py) has known speech and captions per 6 s scene, indexed with the
real local engine; images use the tiny random CLIP (an exact frame still finds its video).
"""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.library.search_corpus import (  # noqa: F401
    MOMENTS,
    cached_analysis,
    corpus,
    corpus_paths,
    tiny_clip_model,
    with_clip,
)
from tests.library.test_search_visual import frame_png

pytestmark = pytest.mark.django_db(transaction=True)


def search(api: Any, index_id: str, options: list[str], status: int = 200, **fields: Any) -> Any:
    response = api.post("/v1.3/search", {"index_id": index_id, "search_options": options, **fields}, format="multipart")
    assert response.status_code == status, response.content
    return response.json()


def test_transcription_audio_and_visual_map_onto_the_options(api: Any, index: Any, corpus: dict[str, str]) -> None:
    # lexical = exact_match: the words as said, in the kitchen video's second scene.
    found = search(api, index.id, ["transcription"], query_text="won the championship",
                   transcription_options=["lexical"])  # fmt: skip
    top = found["data"][0]
    assert (top["video_id"], top["rank"]) == (corpus["kitchen.mp4"], 1) and 6 <= top["start"] < 12
    assert "championship" in top["transcription"].lower()
    assert top["confidence"] == "high" and top["score"] > 0  # Framewise's measures ride along
    assert [item["rank"] for item in found["data"]] == list(range(1, len(found["data"]) + 1))

    # audio = conversation, semantic: a paraphrase finds the hiking video's second scene.
    top = search(api, index.id, ["audio"], query_text=MOMENTS[4].paraphrase)["data"][0]
    assert top["video_id"] == corpus["hiking.mp4"] and 6 <= top["start"] < 12

    # visual covers on-screen text: "Paris" is drawn in the kitchen video's first scene.
    top = search(api, index.id, ["visual"], query_text="Paris")["data"][0]
    assert top["video_id"] == corpus["kitchen.mp4"] and top["start"] < 6
    assert any(module["type"] == "text_in_video" for module in top["modules"])


def test_operator_joins_the_modalities(api: Any, index: Any, corpus: dict[str, str]) -> None:
    # "Paris" is shown, never said: `or` finds it, `and` (shown and said) finds nothing.
    either = search(api, index.id, ["visual", "transcription"], query_text="Paris", threshold="medium")
    assert either["data"] and either["data"][0]["video_id"] == corpus["kitchen.mp4"]
    both = search(api, index.id, ["visual", "transcription"], query_text="Paris", operator="and", threshold="medium")
    assert both["data"] == [] and both["page_info"]["total_results"] == 0


def test_pages_by_token_rank_from_the_first_page_and_end_without_a_token(
    api: Any, index: Any, corpus: dict[str, str]
) -> None:
    first = search(api, index.id, ["audio", "visual"], query_text="the weather", threshold="none", page_limit=2)
    info = first["page_info"]
    assert info["limit_per_page"] == 2 and info["total_results"] > 4 and info["page_expires_at"].endswith("Z")
    ranks = [item["rank"] for item in first["data"]]
    token = info.get("next_page_token")
    pages, page = 1, first
    while token:
        page = api.get(f"/v1.3/search/{token}").json()
        ranks += [item["rank"] for item in page["data"]]
        token = page["page_info"].get("next_page_token")
        pages += 1
    assert ranks == list(range(1, info["total_results"] + 1)) and pages == -(-info["total_results"] // 2)
    assert "next_page_token" not in page["page_info"]  # the SDK stops on a missing (or null) token


def test_group_by_filter_and_user_metadata(api: Any, index: Any, corpus: dict[str, str]) -> None:
    kitchen = corpus["kitchen.mp4"]
    api.put(f"/v1.2/indexes/{index.id}/videos/{kitchen}", {"metadata": {"show": "cooking"}}, format="json")
    grouped = search(api, index.id, ["audio", "visual"], query_text="the weather", group_by="video", threshold="none",
                     include_user_metadata="true")  # fmt: skip
    assert sorted(group["id"] for group in grouped["data"]) == sorted(corpus.values())
    assert [group["rank"] for group in grouped["data"]] == [1, 2]
    group = next(g for g in grouped["data"] if g["id"] == kitchen)
    assert group["user_metadata"] == {"show": "cooking"} and group["clips"][0]["rank"] == 1

    only = search(api, index.id, ["audio", "visual"], query_text="the weather", threshold="none",
                  filter=json.dumps({"id": [corpus["hiking.mp4"]]}))  # fmt: skip
    assert {item["video_id"] for item in only["data"]} == {corpus["hiking.mp4"]}


def test_an_image_and_a_composed_query_find_the_video_the_frame_came_from(
    api: Any, index: Any, with_clip: Path, corpus: dict[str, str], corpus_paths: dict[str, Path], tmp_path: Path
) -> None:
    frame = frame_png(corpus_paths["kitchen.mp4"], 14.0, tmp_path)

    def upload() -> Any:
        return SimpleUploadedFile("frame.png", frame, content_type="image/png")

    found = search(api, index.id, ["visual"], query_media_type="image", query_media_file=upload())
    assert found["data"][0]["video_id"] == corpus["kitchen.mp4"] and found["data"][0]["rank"] == 1
    composed = search(api, index.id, ["visual"], query_media_type="image", query_media_file=upload(),
                      query_text="Learn Python")  # fmt: skip
    assert composed["data"][0]["video_id"] == corpus["kitchen.mp4"]
    # Pages of an image query carry its vector, not the image.
    paged = search(api, index.id, ["visual"], query_media_type="image", query_media_file=upload(), page_limit=1,
                   threshold="none")  # fmt: skip
    assert api.get(f"/v1.3/search/{paged['page_info']['next_page_token']}").json()["data"][0]["rank"] == 2


def test_what_answers_4xx(api: Any, other_api: Any, index: Any) -> None:
    def refused(options: list[str], status: int = 400, client: Any = api, **fields: Any) -> tuple[str, str]:
        body = search(client, index.id, options, status=status, **fields)
        return body["code"], body["message"]

    assert refused(["smell"], query_text="x")[0] == "parameter_invalid"
    assert refused([], query_text="x")[0] == "parameter_not_provided"
    assert refused(["audio"])[0] == "parameter_not_provided"
    assert refused(["audio"], query_text="x", transcription_options=["fuzzy"])[0] == "parameter_invalid"
    assert refused(["audio"], query_text="x", operator="xor")[0] == "parameter_invalid"
    assert refused(["audio"], query_text="x", colour="red")[0] == "parameter_unknown"
    assert refused(["audio"], query_text="<@ent_123> smiling")[0] == "feature_not_supported"
    assert (
        refused(["audio"], query_text="x", query_media_url="https://example.com/a.png")[0] == "parameter_not_provided"
    )
    code, message = refused(["audio"], query_media_type="image",
                            query_media_url=[f"http://127.0.0.1:9/{n}.png" for n in range(11)])  # fmt: skip
    assert code == "parameter_invalid" and "at most 10 images" in message
    code, message = refused(["visual"], query_media_type="image", query_media_url="http://127.0.0.1:9/a.png")
    assert code == "url_not_allowed"  # the guarded fetcher: no internal addresses
    assert refused(["audio"], status=404, client=other_api, query_text="x")[0] == "resource_not_exist"
    assert api.get("/v1.3/search/not-a-token").json()["code"] == "parameter_invalid"
