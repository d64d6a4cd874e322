"""`/v1.2/gist`, `/summarize` and `/generate` on a ready cooking video, with the offline generator.

The video is the real analysis of a generated clip (speech, captions, five shots),
stored through the pipeline's writer; answers are checked against what it holds.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from library.models import GeneratedText, GenerationStatus, Video
from library.services import video_update
from tests.factories import SYSTEM, IndexFactory
from tests.generation_data import COOKING_CUTS, store_ready_video

pytestmark = [pytest.mark.django_db]


def sentence_count(text: str) -> int:
    return len(re.findall(r"[.!?…](?:\s|$)", text.strip()))


def ndjson(response: Any) -> list[dict[str, Any]]:
    assert response["Content-Type"] == "application/x-ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    return [json.loads(line) for line in lines]


def test_the_gist_has_a_title_topics_and_hashtags_about_the_subject(api: Any, video: Video) -> None:
    response = api.post("/v1.2/gist", {"video_id": video.id, "types": ["title", "topic", "hashtag"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "title", "topics", "hashtags"}
    assert "pasta" in body["title"].lower() and "pasta" in body["hashtags"]
    assert body["topics"] and all(isinstance(topic, str) for topic in body["topics"])

    row = GeneratedText.objects.get(generation_id=body["id"])
    assert (row.video_id, row.kind, row.status, row.provider) == (video.id, "gist", GenerationStatus.READY, "local/1")
    assert row.params == {"types": ["hashtag", "title", "topic"]}
    assert "Title: " in row.text and "#pasta" in row.text


def test_only_the_requested_gist_types_are_returned(api: Any, video: Video) -> None:
    body = api.post("/v1.2/gist/", {"video_id": video.id, "types": ["hashtag"]}, format="json").json()
    assert set(body) == {"id", "hashtags"}


def test_an_identical_request_is_served_from_the_store_unless_regenerate(api: Any, video: Video) -> None:
    payload = {"video_id": video.id, "type": "summary"}
    first = api.post("/v1.2/summarize", payload, format="json").json()
    again = api.post("/v1.2/summarize", payload, format="json").json()
    assert again == first
    fresh = api.post("/v1.2/summarize", {**payload, "regenerate": True}, format="json").json()
    assert fresh["id"] != first["id"] and fresh["summary"] == first["summary"]
    # Still one stored result per identical request, now with the new id.
    stored = GeneratedText.objects.filter(video=video).values_list("generation_id", flat=True)
    assert list(stored) == [uuid.UUID(fresh["id"])]


def test_a_reindexed_video_gets_a_new_result(api: Any, video: Video) -> None:
    payload = {"video_id": video.id, "types": ["title"]}
    first = api.post("/v1.2/gist", payload, format="json").json()
    Video.objects.filter(id=video.id).update(indexed_at=timezone.now())
    again = api.post("/v1.2/gist", payload, format="json").json()
    assert again["id"] != first["id"] and again["title"] == first["title"]


def test_a_summary_honours_a_three_sentence_request(api: Any, video: Video) -> None:
    prompt = "Generate a summary of this video for a live TV report, up to three sentences."
    response = api.post("/v1.2/summarize", {"video_id": video.id, "type": "summary", "prompt": prompt}, format="json")
    body = response.json()
    assert response.status_code == 200 and set(body) == {"id", "summary"}
    assert 1 <= sentence_count(body["summary"]) <= 3 and "pasta" in body["summary"].lower()
    assert GeneratedText.objects.get(generation_id=body["id"]).prompt == prompt


def test_chapters_are_ordered_whole_seconds_starting_at_real_cuts(api: Any, video: Video) -> None:
    body = api.post("/v1.2/summarize", {"video_id": video.id, "type": "chapter"}, format="json").json()
    chapters = body["chapters"]
    assert [c["chapter_number"] for c in chapters] == list(range(len(chapters)))
    assert chapters[0]["start"] == 0 and chapters[-1]["end"] <= video.duration
    for chapter in chapters:
        assert set(chapter) == {"chapter_number", "start", "end", "chapter_title", "chapter_summary"}
        assert isinstance(chapter["start"], int) and isinstance(chapter["end"], int)
        assert chapter["start"] < chapter["end"] and chapter["chapter_title"] and chapter["chapter_summary"]
    for before, after in zip(chapters, chapters[1:], strict=False):
        assert before["end"] == after["start"]
        assert min(abs(after["start"] - cut) for cut in COOKING_CUTS) <= 1


def test_highlights_are_whole_seconds_inside_the_video(api: Any, video: Video) -> None:
    prompt = "Generate highlights that showcase the most surprising parts of the video."
    body = api.post(
        "/v1.2/summarize", {"video_id": video.id, "type": "highlight", "prompt": prompt}, format="json"
    ).json()
    assert body["highlights"]
    for highlight in body["highlights"]:
        assert set(highlight) == {"start", "end", "highlight", "highlight_summary"}
        assert isinstance(highlight["start"], int) and 0 <= highlight["start"] < highlight["end"] <= video.duration


def test_an_open_prompt_is_answered_from_the_video(api: Any, video: Video) -> None:
    response = api.post(
        "/v1.2/generate", {"video_id": video.id, "prompt": "What cheese goes on the pasta?"}, format="json"
    )
    body = response.json()
    assert response.status_code == 200 and set(body) == {"id", "data"}
    assert "Parmesan" in body["data"]
    nothing = api.post("/v1.2/generate", {"video_id": video.id, "prompt": "Is there a dog?"}, format="json").json()
    assert nothing["data"].startswith("The video holds nothing relevant")


def test_a_streamed_answer_is_ndjson_events_and_is_stored(api: Any, video: Video) -> None:
    payload = {"video_id": video.id, "prompt": "What is this video about?", "stream": True}
    events = ndjson(api.post("/v1.2/generate", payload, format="json"))
    assert events[0]["event_type"] == "stream_start"
    generation_id = events[0]["metadata"]["generation_id"]
    texts = [event["text"] for event in events[1:-1]]
    assert all(event["event_type"] == "text_generation" for event in events[1:-1]) and len(texts) > 3
    assert events[-1] == {
        "event_type": "stream_end",
        "metadata": {"generation_id": generation_id, "finish_reason": "stop"},
    }
    row = GeneratedText.objects.get(generation_id=generation_id)
    assert row.text == "".join(texts) and "pasta" in row.text.lower()

    # The same prompt without streaming is served from the store, with the same id.
    stored = api.post("/v1.2/generate", {"video_id": video.id, "prompt": "What is this video about?"}, format="json")
    assert stored.json() == {"id": generation_id, "data": row.text}
    # And streamed again, it replays the stored text.
    replay = ndjson(api.post("/v1.2/generate", payload, format="json"))
    assert replay[0]["metadata"]["generation_id"] == generation_id
    assert "".join(event["text"] for event in replay[1:-1]) == row.text


def test_an_index_without_a_generative_engine_is_refused(api: Any, cooking_path: Path, cooking_analysis: Any) -> None:
    marengo_only = IndexFactory(
        team=api.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual", "conversation"]}]
    )
    video = store_ready_video(marengo_only, cooking_path, cooking_analysis)
    for path, payload in (
        ("/v1.2/gist", {"types": ["title"]}),
        ("/v1.2/summarize", {"type": "summary"}),
        ("/v1.2/generate", {"prompt": "What is cooked?"}),
        ("/v1.2/generate", {"prompt": "What is cooked?", "stream": True}),
    ):
        response = api.post(path, {"video_id": video.id, **payload}, format="json")
        assert response.status_code == 400, path
        assert response.json()["code"] == "index_not_supported_for_generate"
    assert not GeneratedText.objects.exists()


def test_a_video_still_indexing_is_refused(api: Any, video: Video) -> None:
    Video.objects.filter(id=video.id).update(indexed_at=None)
    response = api.post("/v1.2/summarize", {"video_id": video.id, "type": "summary"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "video_not_ready")


def test_a_prompt_over_the_limit_is_refused(api: Any, video: Video) -> None:
    response = api.post("/v1.2/generate", {"video_id": video.id, "prompt": "x" * 2001}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "prompt_too_long")
    assert "2000" in response.json()["message"]
    ok = api.post("/v1.2/summarize", {"video_id": video.id, "type": "summary", "prompt": "a" * 2000}, format="json")
    assert ok.status_code == 200


def test_unknown_and_foreign_videos_are_not_found(api: Any, other_api: Any, video: Video) -> None:
    for client, video_id in ((api, "0" * 24), (other_api, video.id)):
        for path, payload in (
            ("/v1.2/gist", {"types": ["title"]}),
            ("/v1.2/summarize", {"type": "chapter"}),
            ("/v1.2/generate", {"prompt": "Hi", "stream": True}),
        ):
            response = client.post(path, {"video_id": video_id, **payload}, format="json")
            assert (response.status_code, response.json()["code"]) == (404, "resource_not_exist"), path
    assert not GeneratedText.objects.exists()


@pytest.mark.parametrize(
    ("path", "payload", "code"),
    [
        ("/v1.2/gist", {"types": ["title", "summary"]}, "parameter_invalid"),
        ("/v1.2/gist", {"types": "title"}, "parameter_invalid"),
        ("/v1.2/gist", {}, "parameter_not_provided"),
        ("/v1.2/summarize", {"type": "poem"}, "parameter_invalid"),
        ("/v1.2/summarize", {}, "parameter_not_provided"),
        ("/v1.2/summarize", {"type": "summary", "temperature": 3}, "parameter_invalid"),
        ("/v1.2/summarize", {"type": "summary", "temperature": "hot"}, "parameter_invalid"),
        ("/v1.2/summarize", {"type": "summary", "prompt": 12}, "parameter_invalid"),
        ("/v1.2/generate", {}, "parameter_not_provided"),
        ("/v1.2/generate", {"prompt": "   "}, "parameter_not_provided"),
        ("/v1.2/generate", {"prompt": "Hi", "stream": "yes"}, "parameter_invalid"),
        ("/v1.2/generate", {"prompt": "Hi", "max_tokens": 5}, "parameter_unknown"),
    ],
)
def test_bad_parameters_are_400_with_a_code(
    api: Any, video: Video, path: str, payload: dict[str, Any], code: str
) -> None:
    response = api.post(path, {"video_id": video.id, **payload}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code


def test_a_missing_video_id_is_reported(api: Any) -> None:
    response = api.post("/v1.2/gist", {"types": ["title"]}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "parameter_not_provided")


def test_the_sdk_sends_a_null_temperature_and_that_is_fine(api: Any, video: Video) -> None:
    response = api.post("/v1.2/generate", {"video_id": video.id, "prompt": "Hi", "temperature": None}, format="json")
    assert response.status_code == 200


def test_a_title_edit_does_not_make_stored_results_stale(api: Any, video: Video) -> None:
    first = api.post("/v1.2/gist", {"video_id": video.id, "types": ["title"]}, format="json").json()
    video_update(actor=SYSTEM, video=video, title="My pasta video")
    assert api.post("/v1.2/gist", {"video_id": video.id, "types": ["title"]}, format="json").json() == first


def test_topics_come_from_the_videos_taxonomy_labels(api: Any, video: Video) -> None:
    from taxonomy.label_services import label_add, label_reject
    from taxonomy.models import Taxonomy, VideoLabel
    from taxonomy.services import node_create

    taxonomy = Taxonomy.objects.create(team=api.team, name="Genres")
    food, cooking, sport = (
        node_create(actor=SYSTEM, taxonomy=taxonomy, name=name) for name in ("Food & Drink", "Cooking", "Sport")
    )
    VideoLabel.objects.create(video=video, node=food, score=71.0)
    label_add(actor=SYSTEM, video=video, node=cooking)  # an editor's label comes first
    label_reject(actor=SYSTEM, label=VideoLabel.objects.create(video=video, node=sport, score=95.0))

    body = api.post("/v1.2/gist", {"video_id": video.id, "types": ["topic"]}, format="json").json()
    assert body["topics"] == ["Cooking", "Food & Drink"]
