"""What went wrong inside stays inside: stored and returned messages carry no paths or exception text.

A crash, a database error and a file the decoder refuses each fail (or release) a task. The
API's task, the webhook event's payload and the stored row say what happened in plain words
with the error's code; the log keeps the details (paths, exception class and text) for the
operator.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files import File
from django.db import OperationalError

from library import pipeline, services
from library.engine import get_engine
from library.models import Task, TaskStatus, WebhookEndpoint, WebhookEvent
from tests.factories import SYSTEM

SECRET_PATH = "/srv/framewise/internal/var/media/uploads/abc"
INTERNALS = (SECRET_PATH, "/srv/", "RuntimeError", "OperationalError", "Errno", "Traceback")


@pytest.fixture
def no_enqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)


@pytest.fixture
def subscribed(index: Any) -> WebhookEndpoint:
    # Stored directly: the endpoint is never sent to here, only its events are recorded.
    return WebhookEndpoint.objects.create(team=index.team, url="https://hooks.example/x", events=["index.task.failed"])


def _upload(index: Any, path: Path) -> Task:
    with open(path, "rb") as handle:
        return services.task_create_from_file(
            actor=SYSTEM, index=index, content=File(handle, name=path.name), filename=path.name
        )


def _clean(text: str) -> None:
    for internal in (*INTERNALS, str(django_settings.MEDIA_ROOT)):
        assert internal not in text, text


def test_a_crash_fails_the_task_with_a_generic_message_and_logs_the_details(
    api: Any, index: Any, short_clips: dict[str, Path], subscribed: WebhookEndpoint, no_enqueue: None,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    def crash(path: str) -> Any:
        raise RuntimeError(f"cannot map {SECRET_PATH}: boom")

    monkeypatch.setattr(get_engine(), "probe", crash)
    task = _upload(index, short_clips["beach.mp4"])
    with caplog.at_level(logging.ERROR):
        pipeline.task_validate(task_id=task.id)

    task.refresh_from_db()
    assert (task.status, task.error_code) == (TaskStatus.FAILED, "validation_failed")
    _clean(task.error_message)
    assert "validation_failed" in task.error_message
    answer = api.get(f"/v1.2/tasks/{task.id}").json()
    assert answer["error"]["code"] == "validation_failed"
    _clean(answer["error"]["message"])
    _clean(str(api.get(f"/api/v1/tasks/{task.id}/").json()))
    event = WebhookEvent.objects.get(type="index.task.failed")
    _clean(str(event.data))
    # The operator still finds out what happened.
    assert any(SECRET_PATH in (record.exc_text or record.getMessage()) for record in caplog.records)


def test_a_database_error_is_retried_without_quoting_it(
    api: Any, index: Any, short_clips: dict[str, Path], no_enqueue: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(path: str) -> Any:
        raise OperationalError(f"unable to open database file {SECRET_PATH}/db.sqlite3")

    monkeypatch.setattr(get_engine(), "probe", locked)
    task = _upload(index, short_clips["city.mp4"])
    pipeline.task_validate(task_id=task.id)

    task.refresh_from_db()
    assert task.status == TaskStatus.VALIDATING  # released for a retry
    _clean(task.error_message)
    _clean(str(api.get(f"/api/v1/tasks/{task.id}/").json()))


def test_a_file_the_decoder_refuses_is_described_without_its_path(
    api: Any, index: Any, subscribed: WebhookEndpoint, no_enqueue: None, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video at all" * 40)  # looks like MP4, decodes as nothing
    task = _upload(index, broken)
    pipeline.task_validate(task_id=task.id)

    task.refresh_from_db()
    assert (task.status, task.error_code) == (TaskStatus.FAILED, "video_file_broken")
    _clean(task.error_message)
    _clean(str(api.get(f"/v1.2/tasks/{task.id}").json()))
    _clean(str(WebhookEvent.objects.get(type="index.task.failed").data))
