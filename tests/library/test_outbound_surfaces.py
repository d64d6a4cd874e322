"""Every place a user hands us a URL refuses internal addresses, with a code, before fetching.

A loopback server counts the requests it receives: a refused URL must leave it untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from library import pipeline, services
from library.models import Task, TaskStatus
from tests.factories import SYSTEM, IndexFactory, UserFactory


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET  # noqa: N815 - webhook receivers are POSTed to


@pytest.fixture
def port() -> Iterator[int]:
    _Counting.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


SPELLINGS = ["127.0.0.1", "localhost", "2130706433", "0177.0.0.1", "[::ffff:127.0.0.1]", "[::1]"]


@pytest.mark.parametrize("host", SPELLINGS)
def test_v12_tasks_refuse_loopback_urls(api: Any, index: Any, port: int, host: str) -> None:
    url = f"http://{host}:{port}/a.mp4"
    for path, field in (("/v1.2/tasks", "video_url"), ("/v1.2/tasks/external-provider", "url")):
        response = api.post(path, {"index_id": index.id, field: url}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "url_not_allowed"
        assert "loopback" in response.json()["message"]
    assert not Task.objects.exists() and _Counting.hits == []


@pytest.mark.parametrize("host", SPELLINGS)
def test_the_native_api_refuses_loopback_urls(api: Any, index: Any, port: int, host: str) -> None:
    response = api.post("/api/v1/tasks/", {"index": index.id, "video_url": f"http://{host}:{port}/a.mp4"})
    assert response.status_code == 400, response.content
    # Django's URLField already rejects the numeric spellings; the fetcher's check catches the rest.
    assert response.json()["code"] in {"url_not_allowed", "parameter_invalid"}
    assert not Task.objects.exists() and _Counting.hits == []


@pytest.mark.parametrize("host", SPELLINGS)
def test_search_v2_refuses_a_loopback_query_media_url(api: Any, index: Any, port: int, host: str) -> None:
    response = api.post(
        "/v1.2/search-v2",
        {"index_id": index.id, "query_media_type": "image", "search_options": ["visual"],
         "query_media_url": f"http://{host}:{port}/q.png"},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "url_not_allowed"
    assert _Counting.hits == []


def test_the_admin_upload_form_refuses_loopback_urls(client: Any, port: int, db: None) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    index = IndexFactory()
    client.force_login(admin)
    response = client.post(
        "/admin/library/task/add/",
        {"index": index.id, "video_url": f"http://127.0.0.1:{port}/a.mp4", "language": ""},
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "loopback" in response.content.decode()
    assert not Task.objects.exists() and _Counting.hits == []


def test_the_allow_list_lets_a_test_server_through_every_surface(
    api: Any, index: Any, port: int, settings: Any
) -> None:
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    created = api.post("/v1.2/tasks", {"index_id": index.id, "video_url": f"http://127.0.0.1:{port}/a.mp4"})
    assert created.status_code == 201, created.content
    native = api.post("/api/v1/tasks/", {"index": index.id, "video_url": f"http://127.0.0.1:{port}/b.mp4"})
    assert native.status_code == 202, native.content


def test_the_worker_checks_again_at_download_time(index: Any, port: int, settings: Any, monkeypatch: Any) -> None:
    """Allowed when the task was created, refused when it runs (a DNS answer may change in between)."""
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    task = services.task_create_from_url(actor=SYSTEM, index=index, url=f"http://127.0.0.1:{port}/a.mp4")
    settings.FRAMEWISE_OUTBOUND_ALLOW = []
    pipeline.task_validate(task_id=task.id)
    task.refresh_from_db()
    assert (task.status, task.error_code) == (TaskStatus.FAILED, "url_not_allowed")
    assert _Counting.hits == []


def test_a_download_answered_with_an_error_status_quotes_no_remote_text(
    index: Any, port: int, settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    settings.FRAMEWISE_MAX_UPLOAD_BYTES = 1  # the server's 2-byte answer is over the cap
    task = services.task_create_from_url(actor=SYSTEM, index=index, url=f"http://127.0.0.1:{port}/a.mp4")
    pipeline.task_validate(task_id=task.id)
    task.refresh_from_db()
    assert (task.status, task.error_code) == (TaskStatus.FAILED, "video_file_too_large")
    assert not task.upload
