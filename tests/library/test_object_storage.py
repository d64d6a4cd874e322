"""Media in an S3-compatible object store (django-storages), against a real S3 API on loopback (moto).

Nothing may assume a disk shared between processes: an upload stored by the web process is
validated and indexed by a worker process whose MEDIA_ROOT is an empty folder of its own, and
every file it derives (the renamed upload, thumbnails) lands in the store. Reads never hold a
whole object in memory; media is served by presigned URLs with the type we decoded, or
streamed with Range support and our security headers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from config.media_storage import S3_BACKENDS, media_delivery, media_storage
from library import storage
from library.media import media_url
from library.models import Task, TaskStatus, Video
from tests.api_checks import make_library
from tests.factories import MembershipFactory
from tests.library.test_cluster import ROOT, _cluster_env
from tests.object_store import MotoServer, S3Media, files_under, use_s3_media
from tests.processes import stop

MiB = 1024 * 1024


@pytest.fixture
def s3(moto_server: MotoServer, settings: Any, monkeypatch: pytest.MonkeyPatch) -> S3Media:
    return use_s3_media(moto_server, settings, monkeypatch, delivery="presigned")


@pytest.fixture
def s3_streamed(moto_server: MotoServer, settings: Any, monkeypatch: pytest.MonkeyPatch) -> S3Media:
    return use_s3_media(moto_server, settings, monkeypatch, delivery="stream")


def _big_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        for _ in range(size // MiB):
            handle.write(os.urandom(MiB))
    return path


def _peak_bytes(action: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_file_goes_to_the_store_and_back_without_ever_being_whole_in_memory(
    s3: S3Media, tmp_path: Path, settings: Any
) -> None:
    source = _big_file(tmp_path / "big.bin", 96 * MiB)
    # Once per process, not per file: boto3 loads S3's service model (~10 MiB) at first use.
    storage.delete_quietly(storage.save("uploads/warm-up", ContentFile(b"x")))
    with source.open("rb") as handle:
        name, peak_save = _peak_bytes(lambda: storage.save("uploads/big/one", File(handle, name="big.bin")))
    assert s3.keys() == ["uploads/big/one"]
    assert s3.head(name)["ContentLength"] == 96 * MiB
    assert peak_save < 40 * MiB, f"saving held {peak_save / MiB:.1f} MiB"

    tracemalloc.start()
    try:
        with storage.local_copy(name) as path:
            peak_copy = tracemalloc.get_traced_memory()[1]
            copied = path
            assert os.path.getsize(path) == 96 * MiB
    finally:
        tracemalloc.stop()
    assert peak_copy < 40 * MiB, f"downloading held {peak_copy / MiB:.1f} MiB"
    print(f"96 MiB through the store: save peaked at {peak_save / MiB:.1f} MiB, copy at {peak_copy / MiB:.1f} MiB")
    assert not os.path.exists(copied), "the worker's temporary copy is removed"
    # Past 8 MiB a rename is a multi-part copy inside the store; it must still retype the object.
    renamed = storage.rename(name, "uploads/big/one.mp4")
    assert s3.keys() == ["uploads/big/one.mp4"]
    assert s3.head(renamed)["ContentType"] == "video/mp4"
    with storage.local_copy(renamed) as path:
        assert path.endswith(".mp4") and Path(path).read_bytes() == source.read_bytes()
    assert files_under(settings.MEDIA_ROOT) == []


def test_objects_are_typed_by_our_extension_never_by_the_client(s3: S3Media) -> None:
    claimed_html = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    name = storage.save("uploads/1/task", claimed_html)
    assert s3.head(name)["ContentType"] == "application/octet-stream"
    renamed = storage.rename(name, "uploads/1/task.mp4")
    assert renamed == "uploads/1/task.mp4"
    assert s3.keys() == ["uploads/1/task.mp4"]  # moved inside the store, the old key is gone
    assert s3.head(renamed)["ContentType"] == "video/mp4"
    assert storage.read_head(renamed, 8) == b"<script>"
    # A name in use gets a free variant, as on a local disk: nobody's object is replaced.
    again = storage.save("uploads/1/task.mp4", ContentFile(b"other"))
    assert again != renamed and storage.read_head(renamed, 8) == b"<script>"
    storage.delete_quietly(again)
    storage.delete_quietly(again)  # already gone: not an error
    assert s3.keys() == ["uploads/1/task.mp4"]


def test_presigned_urls_are_short_lived_and_answer_with_the_decoded_type(s3: S3Media) -> None:
    data = bytes(range(256)) * 4
    name = storage.save("uploads/9/clip.mp4", ContentFile(data))
    thumbnail = storage.save("thumbnails/9/1/000001000-t.jpg", ContentFile(b"\xff\xd8\xff" + data))
    url = media_url(name)
    parts = urlsplit(url)
    assert url.startswith(s3.server.url) and parts.path.endswith("/uploads/9/clip.mp4")
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["3600"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]

    ranged = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert ranged.status_code == 206
    assert ranged.content == data[100:200]
    assert ranged.headers["Content-Type"] == "video/mp4"
    assert ranged.headers["Content-Disposition"].startswith('inline; filename="clip.mp4"')
    whole = requests.get(media_url(thumbnail), timeout=10)
    assert whole.status_code == 200 and whole.headers["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        ("bytes=0-99", 206, "bytes 0-99/1024", slice(0, 100)),
        ("bytes=-500", 206, "bytes 524-1023/1024", slice(524, 1024)),
        ("bytes=1000-99999", 206, "bytes 1000-1023/1024", slice(1000, 1024)),
        ("bytes=1024-", 416, "bytes */1024", None),
        ("bytes=50-10", 200, None, slice(0, 1024)),
        ("", 200, None, slice(0, 1024)),
    ],
)
def test_streamed_media_comes_from_the_store_with_ranges_and_our_headers(
    s3_streamed: S3Media, client: Any, db: None, header: str, status: int, content_range: str | None, body: Any
) -> None:
    data = bytes(range(256)) * 4
    name = storage.save("uploads/range/test.mp4", ContentFile(data))
    # A signed URL names a member of the team whose video the file is (library/media.py).
    member = MembershipFactory()
    Video.objects.filter(pk=make_library(member.team).video.pk).update(file=name)
    url = urlsplit(media_url(name, user=member.user))
    assert url.path == f"/media/{name}"  # our own signed URL: the store may be on a private network
    response = client.get(f"{url.path}?{url.query}", **({"HTTP_RANGE": header} if header else {}))
    assert response.status_code == status
    assert response.get("Content-Range") == content_range
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    if body is not None:
        assert response["Content-Type"] == "video/mp4"
        assert b"".join(response.streaming_content) == data[body]
        assert int(response["Content-Length"]) == len(data[body])
    storage.delete_quietly(name)
    assert client.get(f"{url.path}?{url.query}").status_code == 404


def test_object_store_settings_are_checked_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = next(iter(sorted(S3_BACKENDS)))
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        media_storage(backend)
    monkeypatch.setenv("FRAMEWISE_MEDIA_DELIVERY", "presigned")
    with pytest.raises(ImproperlyConfigured, match="presigned needs an S3"):
        media_delivery("django.core.files.storage.FileSystemStorage")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "media")
    monkeypatch.setenv("AWS_QUERYSTRING_EXPIRE", "999999999")
    with pytest.raises(ImproperlyConfigured, match="AWS_QUERYSTRING_EXPIRE"):
        media_storage(backend)


def _upload_claiming_html(api: Any, index_id: str, path: Path) -> str:
    video_file = SimpleUploadedFile("x.html", path.read_bytes(), content_type="text/html")
    response = api.post("/v1.2/tasks", {"index_id": index_id, "video_file": video_file}, format="multipart")
    assert response.status_code == 201, response.content
    return str(response.json()["_id"])


@pytest.mark.django_db(transaction=True)
def test_a_worker_with_an_empty_media_root_of_its_own_indexes_an_upload_of_the_web_process(
    api: Any, index: Any, two_shot_video: Path, s3: S3Media, settings: Any, tmp_path: Path
) -> None:
    task_id = _upload_claiming_html(api, index.id, two_shot_video)
    upload_name = Task.objects.get(id=task_id).upload.name
    assert s3.keys() == [upload_name]
    assert s3.head(upload_name)["ContentType"] == "application/octet-stream"  # not the client's text/html

    worker_media, worker_tmp = tmp_path / "worker-media", tmp_path / "worker-tmp"
    worker_media.mkdir()
    worker_tmp.mkdir()
    env = {**_cluster_env(), **s3.env, "MEDIA_ROOT": str(worker_media), "TMPDIR": str(worker_tmp)}
    log = (tmp_path / "worker.log").open("w")
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 180
        while Task.objects.get(id=task_id).status not in (TaskStatus.READY, TaskStatus.FAILED):
            assert time.monotonic() < deadline, "the worker did not finish in time"
            assert cluster.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.25)
    finally:
        stop(cluster)
        log.close()
    task = Task.objects.get(id=task_id)
    assert task.status == TaskStatus.READY, (task.error_code, task.error_message)
    video = Video.objects.get(id=task.video_id)
    thumbnails = list(video.thumbnails.values_list("image", flat=True))
    assert video.file.name == f"{upload_name}.mp4" and thumbnails
    assert s3.keys() == sorted([video.file.name, *thumbnails])
    assert s3.head(video.file.name)["ContentType"] == "video/mp4"
    # Neither process wrote media to its own disk; the worker removed its temporary copies.
    assert files_under(settings.MEDIA_ROOT) == [] and files_under(worker_media) == []
    assert [name for name in files_under(worker_tmp) if name.endswith((".mp4", ".bin", ".jpg"))] == []

    body = api.get(f"/v1.2/indexes/{index.id}/videos/{video.id}").json()
    url = body["hls"]["video_url"]
    response = requests.get(url, headers={"Range": "bytes=0-1023"}, timeout=10)
    assert response.status_code == 206 and response.headers["Content-Type"] == "video/mp4"
    assert response.content == two_shot_video.read_bytes()[:1024]
    thumbnail = requests.get(media_url(thumbnails[0]), timeout=10)
    assert thumbnail.status_code == 200 and thumbnail.content[:3] == b"\xff\xd8\xff"

    assert api.delete(f"/v1.2/indexes/{index.id}/videos/{video.id}").status_code in (200, 204)
    assert s3.keys() == []  # the video and every derived file are gone from the store
