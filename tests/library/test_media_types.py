"""Media is served as what it decodes as: the client's file name decides nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory

from library import mediatypes, pipeline
from library.media import media_url, ranged_file_response
from library.models import Task, Video
from tests.library.test_ingest import upload


@pytest.fixture
def validate_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run validation inline on upload; indexing is not what these tests are about."""

    def run(func: str, task_id: str, **kwargs: Any) -> None:
        if func.endswith("validate_task"):
            pipeline.task_validate(task_id=task_id)

    monkeypatch.setattr("core.jobs.async_task", run)


def _served(client: Any, name: str, **headers: str) -> Any:
    """The file through its signed URL, as a member of its team received it."""
    from core.models import Membership
    from library.models import Video

    team_id = Video.objects.filter(file=name).values_list("index__team_id", flat=True).first()
    member = Membership.objects.filter(team_id=team_id).first()
    url = urlsplit(media_url(name, user=member.user if member else None))
    return client.get(f"{url.path}?{url.query}", **headers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("client_name", ["x.html", "x.svg", "noextension"])
def test_an_mp4_with_a_dangerous_name_is_stored_and_served_as_video_mp4(
    api: Any, index: Any, two_shot_video: Path, validate_only: None, client: Any, client_name: str
) -> None:
    task_id = upload(api, index.id, two_shot_video, name=client_name)
    task = Task.objects.get(id=task_id)
    video = Video.objects.get(id=task.video_id)
    assert video.file.name.endswith(".mp4") and task.upload.name == video.file.name
    assert video.filename == client_name  # kept for people, used for nothing else

    response = _served(client, video.file.name)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    stem = client_name.rsplit(".", 1)[0]
    assert response["Content-Disposition"] == f"inline; filename=\"{stem}.mp4\"; filename*=UTF-8''{stem}.mp4"
    assert b"".join(response.streaming_content) == two_shot_video.read_bytes()


@pytest.mark.django_db(transaction=True)
def test_a_matroska_file_named_mp4_is_served_as_matroska(
    api: Any, index: Any, two_shot_video: Path, validate_only: None, client: Any, tmp_path: Path
) -> None:
    remuxed = tmp_path / "really-matroska.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(two_shot_video), "-c", "copy", str(remuxed)], check=True)
    task_id = upload(api, index.id, remuxed, name="café «vacances».mp4")
    video = Video.objects.get(id=Task.objects.get(id=task_id).video_id)
    assert video.file.name.endswith(".mkv")
    response = _served(client, video.file.name)
    assert response["Content-Type"] == "video/x-matroska"
    assert response["Content-Disposition"] == (
        "inline; filename=\"caf_ _vacances_.mkv\"; filename*=UTF-8''caf%C3%A9%20%C2%ABvacances%C2%BB.mkv"
    )


def test_the_container_decides_the_type() -> None:
    mov_family = "mov,mp4,m4a,3gp,3g2,mj2"
    assert mediatypes.video_type(mov_family, video_codec="h264", audio_codec="aac", head=b"\0\0\0\x20ftypisom") == (
        mediatypes.MP4
    )
    assert mediatypes.video_type(mov_family, video_codec="h264", audio_codec="", head=b"\0\0\0\x14ftypqt  ") == (
        mediatypes.QUICKTIME
    )
    assert mediatypes.video_type("matroska,webm", video_codec="vp9", audio_codec="opus") == mediatypes.WEBM
    assert mediatypes.video_type("matroska,webm", video_codec="h264", audio_codec="aac") == mediatypes.MATROSKA
    assert mediatypes.video_type("avi", video_codec="mpeg4", audio_codec="").content_type == "video/x-msvideo"
    assert mediatypes.content_type_of("uploads/a/b.html") == "application/octet-stream"
    assert mediatypes.content_type_of("thumbnails/a/b/000001000-t.jpg") == "image/jpeg"


@pytest.fixture
def stored(db: None) -> tuple[str, bytes]:
    data = bytes(range(256)) * 4  # 1024 bytes
    return default_storage.save("uploads/range/test.mp4", ContentFile(data)), data


@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        ("bytes=0-99", 206, "bytes 0-99/1024", slice(0, 100)),
        ("bytes=1000-", 206, "bytes 1000-1023/1024", slice(1000, 1024)),
        ("bytes=-500", 206, "bytes 524-1023/1024", slice(524, 1024)),
        ("bytes=-5000", 206, "bytes 0-1023/1024", slice(0, 1024)),
        ("bytes=1000-99999", 206, "bytes 1000-1023/1024", slice(1000, 1024)),
        ("bytes=1024-", 416, "bytes */1024", None),
        ("bytes=-0", 416, "bytes */1024", None),
        ("bytes=50-10", 200, None, slice(0, 1024)),  # invalid: ignored
        ("bytes=abc", 200, None, slice(0, 1024)),
        ("lines=0-5", 200, None, slice(0, 1024)),
        ("bytes=0-1,5-6", 200, None, slice(0, 1024)),  # several ranges: we may send the whole file
        ("", 200, None, slice(0, 1024)),
    ],
)
def test_range_requests_follow_rfc_9110(
    stored: tuple[str, bytes], header: str, status: int, content_range: str | None, body: slice | None
) -> None:
    name, data = stored
    request = RequestFactory().get("/media/x", HTTP_RANGE=header) if header else RequestFactory().get("/media/x")
    response = ranged_file_response(request, name)
    assert response.status_code == status
    assert response.get("Content-Range") == content_range
    assert response["X-Content-Type-Options"] == "nosniff"
    if body is not None:
        assert b"".join(response.streaming_content) == data[body]
        assert int(response["Content-Length"]) == len(data[body])
