"""Editors' generation (admin action, worker jobs), the native API, and the OpenAI provider end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from engines.base import VideoAnalysis
from library.generation.jobs import generation_run, videos_generate_metadata
from library.models import GeneratedText, GenerationStatus, Video
from tests.factories import SYSTEM, IndexFactory, MembershipFactory
from tests.fake_llm import FakeChatServer, Reply, fake_chat_server
from tests.generation_data import store_ready_video

if TYPE_CHECKING:
    from tests.conftest import InlineWorker

ACTION = "generate_title_hashtags_summary"


@pytest.fixture
def generation_worker(worker: InlineWorker, monkeypatch: pytest.MonkeyPatch) -> InlineWorker:
    """The in-process worker (it runs every job kind, generation jobs included)."""
    return worker


@pytest.fixture
def llm(settings: Any) -> Iterator[FakeChatServer]:
    """Switch generation to the OpenAI provider, served by a local fake chat server."""
    with fake_chat_server() as server:
        settings.FRAMEWISE_GENERATION_PROVIDER = "openai"
        settings.FRAMEWISE_OPENAI_BASE_URL = server.url
        settings.FRAMEWISE_OPENAI_MODEL = "tiny-llm"
        settings.FRAMEWISE_OPENAI_API_KEY = ""
        settings.FRAMEWISE_OPENAI_TIMEOUT = 5.0
        yield server


# --- the admin action and its jobs ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_admin_action_generates_title_hashtags_and_summary(
    client: Any, team_key: tuple[Any, str], video: Video, generation_worker: InlineWorker,
    cooking_path: Path, cooking_analysis: VideoAnalysis,
) -> None:  # fmt: skip
    user = team_key[0].user
    client.force_login(user)
    no_pegasus = IndexFactory(
        team=video.index.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual"]}]
    )
    skipped = store_ready_video(no_pegasus, cooking_path, cooking_analysis)

    response = client.post(
        "/admin/library/video/", {"action": ACTION, "_selected_action": [video.id, skipped.id]}, follow=True
    )
    page = response.content.decode()
    assert "Queued 2 generation(s)." in page and "Skipped 1 video(s)" in page
    generation_worker.wait_idle()

    rows = {row.kind: row for row in GeneratedText.objects.filter(video=video)}
    assert set(rows) == {"gist", "summary"}
    assert all(row.status == GenerationStatus.READY and row.created_by == user for row in rows.values())
    assert "pasta" in rows["gist"].data["title"].lower() and "pasta" in rows["gist"].data["hashtags"]
    assert "pasta" in rows["summary"].data["summary"].lower()
    assert not GeneratedText.objects.filter(video=skipped).exists()

    # The video's page shows them to the editor.
    change = client.get(f"/admin/library/video/{video.id}/change/").content.decode()
    assert rows["gist"].data["title"] in change and "#pasta" in change

    # Asked again, the stored results are kept and nothing is queued.
    again = client.post("/admin/library/video/", {"action": ACTION, "_selected_action": [video.id]}, follow=True)
    assert "Queued 0 generation(s). 2 were already generated and kept." in again.content.decode()
    assert GeneratedText.objects.filter(video=video).count() == 2


@pytest.mark.django_db
def test_a_generation_job_is_claimed_once(video: Video, run_on_commit: Any) -> None:
    with run_on_commit(execute=False) as callbacks:
        queued = videos_generate_metadata(actor=SYSTEM, videos=[video])
    assert (queued.queued, queued.stored, queued.skipped, len(callbacks)) == (2, 0, 0, 2)
    row = GeneratedText.objects.get(video=video, kind="gist")
    assert row.status == GenerationStatus.PENDING

    generation_run(generated_text_id=row.id)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (GenerationStatus.READY, 1)
    first_id = row.generation_id
    # A re-delivered job finds nothing to claim and changes nothing.
    generation_run(generated_text_id=row.id)
    row.refresh_from_db()
    assert (row.generation_id, row.attempts) == (first_id, 1)


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_taken_over_after_its_lease(video: Video, run_on_commit: Any) -> None:
    with run_on_commit(execute=False):
        videos_generate_metadata(actor=SYSTEM, videos=[video])
    row = GeneratedText.objects.get(video=video, kind="summary")
    GeneratedText.objects.filter(id=row.id).update(
        status=GenerationStatus.RUNNING, claimed_by="dead", heartbeat_at=timezone.now()
    )
    generation_run(generated_text_id=row.id)
    assert GeneratedText.objects.get(id=row.id).status == GenerationStatus.RUNNING  # held by a live worker

    GeneratedText.objects.filter(id=row.id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    generation_run(generated_text_id=row.id)
    row.refresh_from_db()
    assert (row.status, row.claimed_by, row.attempts) == (GenerationStatus.READY, "", 1)


@pytest.mark.django_db(transaction=True)
def test_transient_llm_errors_are_retried_up_to_the_attempt_limit(
    video: Video, llm: FakeChatServer, generation_worker: InlineWorker, settings: Any
) -> None:
    settings.FRAMEWISE_TASK_MAX_ATTEMPTS = 3
    gist = json.dumps({"title": "Pasta", "topics": ["Cooking"], "hashtags": ["pasta"]})
    # In queue order: gist, summary, gist again, summary again, summary a third time.
    llm.replies += [Reply(status=500), Reply(status=503), Reply(content=gist), Reply(status=503), Reply(status=503)]
    queued = videos_generate_metadata(actor=SYSTEM, videos=[Video.objects.select_related("index").get(id=video.id)])
    assert queued.queued == 2
    generation_worker.wait_idle()

    rows = {row.kind: row for row in GeneratedText.objects.filter(video=video)}
    assert (rows["gist"].status, rows["gist"].attempts, rows["gist"].data["title"]) == ("ready", 2, "Pasta")
    assert (rows["summary"].status, rows["summary"].attempts) == ("failed", 3)
    assert rows["summary"].error_code == "generation_failed" and "HTTP 503" in rows["summary"].error_message
    assert len(llm.requests) == 5


@pytest.mark.django_db
def test_a_job_queued_for_another_provider_is_not_run_by_this_one(
    video: Video, run_on_commit: Any, settings: Any
) -> None:
    with run_on_commit(execute=False):
        videos_generate_metadata(actor=SYSTEM, videos=[video])
    settings.FRAMEWISE_GENERATION_PROVIDER = "openai"
    settings.FRAMEWISE_OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.FRAMEWISE_OPENAI_MODEL = "m"
    row = GeneratedText.objects.get(video=video, kind="gist")
    generation_run(generated_text_id=row.id)
    row.refresh_from_db()
    assert (row.status, row.error_code) == (GenerationStatus.FAILED, "generation_provider_changed")


# --- the OpenAI provider through the v1.2 API --------------------------------------------------------


@pytest.mark.django_db
def test_the_openai_provider_answers_the_v12_endpoints(api: Any, video: Video, llm: FakeChatServer) -> None:
    llm.replies.append(Reply(content="A cook prepares pasta with tomato sauce. It is served hot. Then more."))
    prompt = "Summarize it in up to two sentences."
    response = api.post("/v1.2/summarize", {"video_id": video.id, "type": "summary", "prompt": prompt}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "A cook prepares pasta with tomato sauce. It is served hot."
    row = GeneratedText.objects.get(generation_id=response.json()["id"])
    assert row.provider == "openai:tiny-llm"
    sent = llm.requests[0].body["messages"][1]["content"]
    assert "Today we are cooking pasta" in sent and "Cooking Pasta Recipe" in sent and "Shots (start-end)" in sent

    llm.replies.append(
        Reply(content=json.dumps({"title": "Pasta Night", "topics": ["Cooking"], "hashtags": ["pasta"]}))
    )
    gist = api.post("/v1.2/gist", {"video_id": video.id, "types": ["title", "hashtag"]}, format="json").json()
    assert (gist["title"], gist["hashtags"]) == ("Pasta Night", ["pasta"]) and "topics" not in gist


@pytest.mark.django_db
def test_llm_failures_are_clear_api_errors(api: Any, video: Video, llm: FakeChatServer, settings: Any) -> None:
    llm.replies.append(Reply(status=500))
    response = api.post("/v1.2/summarize", {"video_id": video.id, "type": "summary"}, format="json")
    assert (response.status_code, response.json()["code"]) == (502, "generation_failed")
    assert "HTTP 500" in response.json()["message"]

    settings.FRAMEWISE_OPENAI_TIMEOUT = 0.5
    llm.replies.append(Reply(content="late", delay=2.0))
    response = api.post("/v1.2/generate", {"video_id": video.id, "prompt": "What is cooked?"}, format="json")
    assert (response.status_code, response.json()["code"]) == (504, "generation_timeout")
    assert not GeneratedText.objects.exists()


@pytest.mark.django_db
def test_a_stream_that_fails_midway_ends_with_a_stream_error(api: Any, video: Video, llm: FakeChatServer) -> None:
    llm.replies.append(Reply(chunks=["Pasta ", "is "], fail_mid_stream=True))
    response = api.post(
        "/v1.2/generate", {"video_id": video.id, "prompt": "What is cooked?", "stream": True}, format="json"
    )
    events = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [event["event_type"] for event in events] == [
        "stream_start", "text_generation", "text_generation", "stream_error"
    ]  # fmt: skip
    assert events[-1]["error"]["code"] == "generation_failed" and "out of memory" in events[-1]["error"]["message"]
    assert not GeneratedText.objects.exists()  # a broken answer is not stored


# --- the native API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_native_api_creates_and_lists_generated_texts(api: Any, other_api: Any, video: Video) -> None:
    url = f"/api/v1/videos/{video.id}/generations/"
    created = api.post(url, {"kind": "chapter", "prompt": "Chapters, please."}, format="json")
    assert created.status_code == 200, created.content
    body = created.json()
    assert (body["kind"], body["status"], body["video"], body["provider"]) == ("chapter", "ready", video.id, "local/1")
    assert body["data"]["chapters"][0]["start"] == 0 and "0:00–0:05" in body["text"]

    gist = api.post(url, {"kind": "gist"}, format="json").json()
    assert set(gist["data"]) == {"title", "topics", "hashtags"}
    assert api.post(url, {"kind": "gist"}, format="json").json()["id"] == gist["id"]
    assert api.post(url, {"kind": "gist", "regenerate": True}, format="json").json()["id"] != gist["id"]

    listed = api.get(url).json()
    assert [row["kind"] for row in listed["results"]] == ["gist", "chapter"]
    assert api.post(url, {"kind": "text"}, format="json").json()["code"] == "parameter_not_provided"
    assert other_api.get(url).status_code == 404
    assert other_api.post(url, {"kind": "gist"}, format="json").status_code == 404


@pytest.mark.django_db
def test_a_session_user_of_another_team_sees_no_generated_texts(client: Any, video: Video) -> None:
    client.force_login(MembershipFactory().user)
    assert client.get(f"/api/v1/videos/{video.id}/generations/").status_code == 404
