"""The official Twelve Labs SDK (twelvelabs==0.3.2), unchanged, against a live Framewise server.

Only the base URL differs (TWELVELABS_BASE_URL, which the SDK reads itself). Uploads are
validated and indexed asynchronously by the in-process worker, as a deployment would.
The SDK's pydantic models reject responses that miss required fields, and it never
follows redirects, so every call passing here is a call a real client can make.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from twelvelabs import TwelveLabs
from twelvelabs.exceptions import AuthenticationError, ConflictError, NotFoundError
from twelvelabs.models import Task as SdkTask

from library.models import Index, Task, TaskStatus, Video

if TYPE_CHECKING:
    from tests.conftest import InlineWorker
    from tests.library.conftest import StaticHost

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

MARENGO = {"name": "marengo2.6", "options": ["visual", "conversation", "text_in_video", "logo"]}
PEGASUS = {"name": "pegasus1.1", "options": ["visual", "conversation"]}


def give_up_after(seconds: float) -> Callable[[SdkTask], None]:
    """A wait_for_done callback that fails the test instead of polling forever."""
    deadline = time.monotonic() + seconds

    def check(task: SdkTask) -> None:
        assert time.monotonic() < deadline, f"task {task.id} still {task.status} after {seconds}s"

    return check


@pytest.fixture
def client(live_server: Any, team_key: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> TwelveLabs:
    monkeypatch.setenv("TWELVELABS_BASE_URL", live_server.url)
    return TwelveLabs(api_key=team_key[1])


def test_engines_are_listed_and_retrieved(client: TwelveLabs) -> None:
    engines = {engine.id: engine for engine in client.engine.list()}
    assert {"marengo2.6", "pegasus1.1"} <= set(engines)
    assert set(engines["marengo2.6"].allowed_engine_options) == {"visual", "conversation", "text_in_video", "logo"}
    assert engines["pegasus1.1"].allowed_engine_options == ["visual", "conversation"]

    engine = client.engine.retrieve("marengo2.6")
    assert (engine.id, engine.ready, engine.finetune) == ("marengo2.6", True, False)
    with pytest.raises(NotFoundError):
        client.engine.retrieve("marengo9")


def test_index_life_cycle(client: TwelveLabs, team_key: tuple[Any, str]) -> None:
    created = client.index.create("Ads Videos", engines=[MARENGO, PEGASUS], addons=["thumbnail"])
    assert created.name == "Ads Videos"
    assert [(engine.name, engine.options) for engine in created.engines] == [
        ("marengo2.6", MARENGO["options"]),
        ("pegasus1.1", PEGASUS["options"]),
    ]
    assert (created.video_count, created.total_duration) == (0, 0.0)
    stored = Index.objects.get(id=created.id)
    assert stored.team == team_key[0].team
    assert stored.addons == ["thumbnail"]

    # Without addons the SDK sends "addons": null.
    plain = client.index.create("No addons", engines=[MARENGO])
    assert Index.objects.get(id=plain.id).addons == []

    retrieved = client.index.retrieve(created.id)
    assert (retrieved.id, retrieved.name, retrieved.created_at) == (created.id, "Ads Videos", created.created_at)

    client.index.update(created.id, "Ads Videos 2024")
    assert client.index.retrieve(created.id).name == "Ads Videos 2024"
    assert [index.name for index in client.index.list(name="Ads Videos 2024")] == ["Ads Videos 2024"]
    assert [index.id for index in client.index.list(engine_family="pegasus")] == [created.id]
    assert [index.id for index in client.index.list(engine_options=["visual", "logo"])] == [plain.id, created.id]
    assert [index.id for index in client.index.list(created_at={"gte": created.created_at}, sort_option="asc")] == [
        created.id,
        plain.id,
    ]

    client.index.delete(plain.id)
    with pytest.raises(NotFoundError) as missing:
        client.index.retrieve(plain.id)
    assert missing.value.body["code"] == "resource_not_exist"
    assert [index.id for index in client.index.list()] == [created.id]


def test_index_pages_iterate_to_the_end(client: TwelveLabs) -> None:
    ids = [client.index.create(f"index {n}", engines=[MARENGO]).id for n in range(5)]

    first = client.index.list_pagination(page_limit=2, sort_option="asc")
    assert first.page_info.model_dump() == {"limit_per_page": 2, "page": 1, "total_page": 3, "total_results": 5}
    pages = [[index.id for index in first.data]]
    # Iterating fetches the pages after the first one.
    pages += [[index.id for index in page] for page in first]
    assert pages == [ids[0:2], ids[2:4], ids[4:]]
    assert first.page_info.page == 3

    newest_first = client.index.list(page_limit=50)
    assert [index.id for index in newest_first] == ids[::-1]


def test_errors_carry_twelve_labs_status_codes_and_bodies(client: TwelveLabs) -> None:
    client.index.create("Taken", engines=[MARENGO])
    with pytest.raises(ConflictError) as conflict:
        client.index.create("Taken", engines=[MARENGO])
    assert conflict.value.status_code == 409
    assert conflict.value.body["code"] == "index_name_already_exists"

    with pytest.raises(NotFoundError) as missing:
        client.index.retrieve("0123456789abcdef01234567")
    assert missing.value.body["code"] == "resource_not_exist"

    stranger = TwelveLabs(api_key="tlk_not-a-real-key")
    with pytest.raises(AuthenticationError) as denied:
        stranger.index.list()
    assert denied.value.status_code == 401
    assert denied.value.body["code"] == "api_key_invalid"
    assert denied.value.body["message"]


def test_uploads_by_file_and_url_become_ready_videos(
    client: TwelveLabs, worker: InlineWorker, short_clips: dict[str, Path], static_host: StaticHost
) -> None:
    index = client.index.create("Uploads", engines=[MARENGO, PEGASUS], addons=["thumbnail"])

    by_file = client.task.create(index.id, file=str(short_clips["beach.mp4"]), language="en")
    assert by_file.index_id == index.id
    assert by_file.status in ("validating", "pending", "queued", "indexing", "ready")
    assert by_file.metadata["filename"] == "beach.mp4"

    url = static_host.publish(short_clips["city.mp4"], "city.mp4")
    by_url = client.task.create(index.id, url=url)
    assert Task.objects.get(id=by_url.id).source_url == url

    for task in (by_file, by_url):
        task.wait_for_done(sleep_interval=0.2, callback=give_up_after(60))
        assert task.status == "ready", Task.objects.get(id=task.id).error_message
        assert task.process is not None and task.process.percentage == 100
    worker.wait_idle()

    ready_file = client.task.retrieve(by_file.id)
    ready_url = client.task.retrieve(by_url.id)
    assert ready_file.video_id and ready_url.video_id
    assert ready_url.metadata == {
        "filename": "city.mp4",
        "duration": pytest.approx(4.5, abs=0.1),
        "width": 640,
        "height": 360,
    }

    status = client.task.status(index.id)
    assert status.model_dump() == {
        "index_id": index.id,
        "ready": 2,
        "validating": 0,
        "pending": 0,
        "failed": 0,
        "total_result": 2,
    }

    # The seed's duplicate check: tasks of an index by exact filename.
    found = client.task.list(index_id=index.id, filename="beach.mp4")
    assert [(task.id, task.status) for task in found] == [(by_file.id, "ready")]
    assert list(client.task.list(index_id=index.id, filename="nothing.mp4")) == []

    task_pages = client.task.list_pagination(index_id=index.id, page_limit=1, sort_option="asc")
    assert (task_pages.page_info.total_page, task_pages.page_info.total_results) == (2, 2)
    task_ids = [task.id for task in task_pages.data] + [task.id for page in task_pages for task in page]
    assert task_ids == [by_file.id, by_url.id]

    videos = client.index.video.list(index.id)
    assert {video.id: video.metadata.filename for video in videos} == {
        ready_file.video_id: "beach.mp4",
        ready_url.video_id: "city.mp4",
    }
    video_pages = client.index.video.list_pagination(index.id, page_limit=1, sort_option="asc")
    assert video_pages.page_info.total_results == 2
    video_ids = [v.id for v in video_pages.data] + [v.id for page in video_pages for v in page]
    assert video_ids == [ready_file.video_id, ready_url.video_id]

    assert [v.id for v in client.index.video.list(index.id, filename="city.mp4")] == [ready_url.video_id]
    assert [v.id for v in client.index.video.list(index.id, duration={"gte": 4.3})] == [ready_url.video_id]

    video = client.index.video.retrieve(index.id, ready_file.video_id)
    assert (video.metadata.width, video.metadata.height) == (640, 360)
    assert video.metadata.duration == pytest.approx(4.0, abs=0.1)
    assert video.metadata.size == short_clips["beach.mp4"].stat().st_size
    assert video.hls is not None and video.hls.video_url

    client.index.video.update(index.id, video.id, title="Beach day", metadata={"genre": "travel", "rating": 4})
    updated = client.index.video.retrieve(index.id, video.id)
    assert updated.metadata.model_extra is not None
    assert updated.metadata.model_extra["video_title"] == "Beach day"
    assert (updated.metadata.model_extra["genre"], updated.metadata.model_extra["rating"]) == ("travel", 4)
    assert updated.metadata.filename == "beach.mp4"

    # The thumbnail URL is fetchable as is, without the API key.
    thumbnail = video.thumbnail(time=2)
    fetched = requests.get(thumbnail, timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "image/jpeg"
    assert fetched.content[:3] == b"\xff\xd8\xff"

    by_url_video = client.index.video.retrieve(index.id, ready_url.video_id)
    by_url_video.delete()
    with pytest.raises(NotFoundError):
        client.index.video.retrieve(index.id, ready_url.video_id)
    assert [v.id for v in client.index.video.list(index.id)] == [video.id]
    assert client.index.retrieve(index.id).video_count == 1

    ready_file.delete()
    with pytest.raises(NotFoundError):
        client.task.retrieve(by_file.id)
    assert Video.objects.filter(id=video.id).exists()  # deleting a finished task keeps its video


def test_an_unreachable_url_fails_the_task_with_a_reason(
    client: TwelveLabs, worker: InlineWorker, settings: Any
) -> None:
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]  # allowed, so the worker tries and fails to connect
    index = client.index.create("Unreachable", engines=[MARENGO])
    task = client.task.create(index.id, url="http://127.0.0.1:9/x.mp4")
    task.wait_for_done(sleep_interval=0.2, callback=give_up_after(60))
    assert task.status == "failed"
    worker.wait_idle()

    stored = Task.objects.get(id=task.id)
    assert stored.status == TaskStatus.FAILED
    assert stored.error_code == "video_url_unreachable"
    assert "127.0.0.1:9" in stored.error_message
    # The reason reaches clients too (the SDK's Task model drops the extra field; the raw body has it).
    body = client.get(f"tasks/{task.id}")
    assert body["error"]["code"] == "video_url_unreachable"
    assert client.task.status(index.id).failed == 1
    assert list(client.index.video.list(index.id)) == []
