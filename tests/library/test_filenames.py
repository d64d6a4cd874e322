"""Names taken from URLs and headers are cleaned in one place (issue 20, hole 9).

`%0A` in a URL's last segment made the name hold a newline and the subtitle download a 500
(an invalid header); `%00` is a 500 on PostgreSQL; a long Content-Disposition name did not
fit the 500-character column. Every name a task or video gets goes through library/intake_policy.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engines.base import MediaProbe, TranscriptLine, VideoAnalysis
from library import pipeline, services
from library.models import Task, TaskStatus, Video
from tests.factories import SYSTEM
from tests.generation_data import store_ready_video

pytestmark = pytest.mark.django_db

CONTROL = {chr(code) for code in range(0x20)} | {chr(0x7F), "\u202e"}


def assert_clean(name: str) -> None:
    assert name and len(name) <= 500, name[:80]
    assert not CONTROL & set(name), repr(name[:80])


class _Serving(BaseHTTPRequestHandler):
    body = b""
    disposition = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(self.body)))
        if self.disposition:
            self.send_header("Content-Disposition", self.disposition)
        self.end_headers()
        self.wfile.write(self.body)


@pytest.fixture
def server(two_shot_video: Path, settings: Any, monkeypatch: Any) -> Iterator[str]:
    """A local source serving the two-shot video; validation runs inline, indexing is not started."""
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    _Serving.body, _Serving.disposition = two_shot_video.read_bytes(), ""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Serving)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    "segment", ["news%0Aclip.mp4", "news%00clip.mp4", "news%0D%0A%09clip.mp4", "%E2%80%AEnews-clip.mp4"]
)
def test_a_url_name_with_control_characters_is_stored_clean(api: Any, index: Any, server: str, segment: str) -> None:
    response = api.post("/v1.2/tasks", {"index_id": index.id, "video_url": f"{server}/{segment}"})
    assert response.status_code == 201, response.content[:300]
    task = Task.objects.get()
    assert_clean(task.filename)
    assert task.filename.endswith("clip.mp4")
    pipeline.task_validate(task_id=task.id)
    video = Video.objects.get()
    assert_clean(video.filename)


def test_a_long_content_disposition_name_is_cut_to_the_column(index: Any, server: str) -> None:
    _Serving.disposition = 'attachment; filename="' + "x" * 900 + '%0A.mp4"'
    task = services.task_create_from_url(actor=SYSTEM, index=index, url=f"{server}/download?id=1")
    pipeline.task_validate(task_id=task.id)
    task.refresh_from_db()
    assert task.status != TaskStatus.FAILED, task.error_message
    assert_clean(task.filename)
    assert task.filename.endswith(".mp4") and len(task.filename) == 500


def test_the_rfc_5987_name_wins_and_is_cleaned(index: Any, server: str) -> None:
    _Serving.disposition = "attachment; filename=\"plain.mp4\"; filename*=UTF-8''caf%C3%A9%0Anews.mp4"
    task = services.task_create_from_url(actor=SYSTEM, index=index, url=f"{server}/download")
    pipeline.task_validate(task_id=task.id)
    task.refresh_from_db()
    assert task.filename == "cafénews.mp4"


def test_an_uploaded_name_with_control_characters_is_stored_clean(api: Any, index: Any, two_shot_video: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("evil\x07\u202ename.mp4", two_shot_video.read_bytes())
    task = services.task_create_from_file(actor=SYSTEM, index=index, content=upload, filename=upload.name)
    assert_clean(task.filename)
    assert task.filename == "evilname.mp4"


def test_the_subtitle_download_of_a_name_stored_before_the_fix_is_not_a_500(
    api: Any, index: Any, tmp_path: Path
) -> None:
    path = tmp_path / "old\nname.mp4"  # a row written before names were cleaned
    path.write_bytes(b"stand-in: the transcription endpoints read the database only")
    probe = MediaProbe(8.0, 25.0, 640, 360, 100, "mp4", "h264", "aac", True)
    analysis = VideoAnalysis(probe=probe, transcript=(TranscriptLine(0.5, 2.0, "Hello there."),), language="en")
    video = store_ready_video(index, path, analysis)
    for fmt in ("srt", "vtt"):
        response = api.get(f"/v1.2/indexes/{index.id}/videos/{video.id}/transcription", {"format": fmt})
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Disposition"] == f'attachment; filename="oldname.en.{fmt}"'
