"""Uploads through the v1.2 API to ready videos, with the real pipeline and engine."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from library.models import Task, TaskStatus, Video
from tests.videos import Scene

pytestmark = pytest.mark.django_db(transaction=True)


def upload(api: Any, index_id: str, path: Path, name: str | None = None) -> str:
    """POST /v1.2/tasks as the seed does: multipart with index_id, language and video_file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    video_file = SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/octet-stream")
    response = api.post(
        "/v1.2/tasks", {"index_id": index_id, "language": "en", "video_file": video_file}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return response.json()["_id"]


def test_it_indexes_an_upload_with_correct_metadata_shots_and_thumbnails(api, index, worker, two_shot_video):
    task_id = upload(api, index.id, two_shot_video)
    worker.wait_idle()

    task = api.get(f"/v1.2/tasks/{task_id}").json()
    assert task["status"] == "ready"
    assert task["process"]["percentage"] == 100
    assert task["metadata"] == {
        "filename": "two-shots.mp4",
        "duration": pytest.approx(6.0, abs=0.1),
        "width": 640,
        "height": 360,
    }

    video = api.get(f"/v1.2/indexes/{index.id}/videos/{task['video_id']}").json()
    assert video["metadata"]["fps"] == pytest.approx(25.0)
    assert video["metadata"]["size"] == two_shot_video.stat().st_size
    assert video["metadata"]["engine_ids"] == ["marengo2.6", "pegasus1.1"]

    stored = Video.objects.get(id=task["video_id"])
    assert stored.has_audio is True
    assert [round(shot["start"]) for shot in stored.shots] == [0, 3]
    assert stored.shots[-1]["end"] == pytest.approx(6.0, abs=0.1)
    # Every thumbnail decodes as an image of the stored width.
    assert stored.thumbnails.count() >= 2
    for thumbnail in stored.thumbnails.all():
        with thumbnail.image.open("rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
        assert image.size[0] == 320

    # The thumbnail URL is fetchable without a session, as clients fetch Twelve Labs' URLs.
    url = api.get(f"/v1.2/indexes/{index.id}/videos/{stored.id}/thumbnail", {"time": 4}).json()["thumbnail"]
    anonymous = api.__class__()
    fetched = anonymous.get(url)
    assert fetched.status_code == 200
    assert Image.open(io.BytesIO(b"".join(fetched.streaming_content))).format == "JPEG"


def test_it_walks_the_documented_status_sequence(api, index, worker, two_shot_video, monkeypatch):
    from library import pipeline

    seen: list[str] = []

    real_index = pipeline.task_index

    def spy_index(*, task_id: str, **kwargs: Any) -> None:
        seen.append(Task.objects.get(id=task_id).status)
        real_index(task_id=task_id, **kwargs)
        seen.append(Task.objects.get(id=task_id).status)

    monkeypatch.setattr(pipeline, "task_index", spy_index)
    task_id = upload(api, index.id, two_shot_video)
    seen.insert(0, Task.objects.get(id=task_id).status)
    worker.wait_idle()
    assert seen == ["validating", "queued", "ready"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.mp4", b"", "video_file_broken"),
        ("notes.mp4", b"These are my meeting notes, not a video.\n" * 50, "unsupported_file_type"),
    ],
)
def test_it_rejects_files_that_are_not_videos(api, index, worker, name, content, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        "/v1.2/tasks", {"index_id": index.id, "video_file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    if not content:
        # An empty upload is refused at once, with the same code the worker would give.
        assert response.status_code == 400
        assert response.json()["code"] == code
        return
    assert response.status_code == 201
    worker.wait_idle()
    task = api.get(f"/v1.2/tasks/{response.json()['_id']}").json()
    assert task["status"] == "failed"
    assert task["error"]["code"] == code
    assert task["error"]["message"]
    assert not Video.objects.exists()


def test_it_fails_a_truncated_upload_with_a_reason(api, index, worker, tmp_path, videos):
    source = videos(
        "long-for-truncation.mp4", [Scene(8.0, "testsrc2"), Scene(8.0, "mandelbrot")], size=(640, 360), audio=False
    )
    # Keep the index at the front (faststart), so the file opens and only decoding shows the loss.
    faststart = tmp_path / "faststart.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(source),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            str(faststart),
        ],
        check=True,
    )
    data = faststart.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    task_id = upload(api, index.id, truncated)
    worker.wait_idle()
    task = Task.objects.get(id=task_id)
    assert task.status == TaskStatus.FAILED
    assert task.error_code == "video_file_broken"
    assert "truncated" in task.error_message or "damaged" in task.error_message


def test_it_rejects_a_one_second_video(api, index, worker, videos):
    path = videos("one-second.mp4", [Scene(1.0, "testsrc2")], size=(640, 360))
    task_id = upload(api, index.id, path)
    worker.wait_idle()
    task = Task.objects.get(id=task_id)
    assert (task.status, task.error_code) == (TaskStatus.FAILED, "video_duration_too_short")
    assert "at least 4s" in task.error_message


def test_it_applies_resolution_and_length_limits(api, index, worker, videos, settings):
    small = videos("tiny.mp4", [Scene(5.0, "testsrc2")], size=(160, 120), audio=False)
    task_id = upload(api, index.id, small)
    settings.FRAMEWISE_MAX_DURATION = 5.0
    long_one = videos("six-seconds.mp4", [Scene(6.0, "testsrc2")], size=(640, 360), audio=False)
    long_id = upload(api, index.id, long_one)
    worker.wait_idle()
    assert Task.objects.get(id=task_id).error_code == "video_resolution_too_low"
    assert Task.objects.get(id=long_id).error_code == "video_duration_too_long"


def test_it_indexes_a_video_without_audio(api, index, worker, videos):
    path = videos("silent-film.mp4", [Scene(5.0, "testsrc2")], size=(640, 360), audio=False)
    task_id = upload(api, index.id, path)
    worker.wait_idle()
    task = Task.objects.get(id=task_id)
    assert task.status == TaskStatus.READY, task.error_message
    assert task.video.has_audio is False
    assert task.video.transcript == []


def test_it_keeps_a_unicode_filename_exactly(api, index, worker, two_shot_video):
    name = "Café déjà vu — 日本語 🎬.mp4"
    task_id = upload(api, index.id, two_shot_video, name=name)
    worker.wait_idle()
    task = api.get(f"/v1.2/tasks/{task_id}").json()
    assert task["metadata"]["filename"] == name
    listed = api.get(f"/v1.2/indexes/{index.id}/videos").json()["data"]
    assert [video["metadata"]["filename"] for video in listed] == [name]
    # The seed's duplicate check finds it by exact filename.
    found = api.get("/v1.2/tasks", {"index_id": index.id, "filename": name}).json()["data"]
    assert [row["_id"] for row in found] == [task_id]


def test_it_detects_a_duplicate_upload_and_does_not_index_it_twice(api, index, worker, two_shot_video):
    first = upload(api, index.id, two_shot_video)
    worker.wait_idle()
    second = upload(api, index.id, two_shot_video, name="same-bytes-other-name.mp4")
    worker.wait_idle()
    duplicate = api.get(f"/v1.2/tasks/{second}").json()
    assert duplicate["status"] == "failed"
    assert duplicate["error"]["code"] == "video_already_exists"
    original_video = Task.objects.get(id=first).video_id
    assert duplicate["video_id"] == original_video
    assert original_video in duplicate["error"]["message"]
    assert Video.objects.filter(index=index).count() == 1
    status = api.get("/v1.2/tasks/status", {"index_id": index.id}).json()
    assert (status["ready"], status["failed"], status["total_result"]) == (1, 1, 2)
