"""A broker that fails after the commit never undoes the commit.

The task row and its upload are committed first; handing the id to the workers comes after.
When that hand-over fails (Redis down, the SQLite broker table locked), the request still
succeeds, the file stays, the failure is logged, and the maintenance job's recovery of lost
messages (`recover_stale`, after FRAMEWISE_TASK_REQUEUE_SECONDS) hands the row over later.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.utils import timezone

from core import jobs
from library.models import Task, TaskStatus

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit callbacks run for real

FAILURES = [
    redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    OperationalError("database is locked"),
]


@pytest.fixture(params=FAILURES, ids=["redis-down", "sqlite-locked"])
def broken_broker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    tried: list[str] = []

    def fail(func: str, *args: Any, **kwargs: Any) -> str:
        tried.append(func)
        raise request.param

    monkeypatch.setattr("core.jobs.async_task", fail)
    return tried


def test_an_upload_whose_enqueue_fails_is_kept_and_answered_success(
    api: Any, index: Any, short_clips: dict[str, Path], broken_broker: list[str], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = short_clips["beach.mp4"]
    with open(path, "rb") as handle, caplog.at_level(logging.WARNING):
        response = api.post("/v1.2/tasks", {"index_id": index.id, "video_file": handle}, format="multipart")
    assert response.status_code == 201, response.content[:300]
    assert broken_broker == ["library.tasks.validate_task"]  # it was tried, and failed
    task = Task.objects.get(id=response.json()["_id"])
    assert task.status == TaskStatus.VALIDATING
    assert default_storage.exists(task.upload.name)  # the committed row's file is still there
    assert default_storage.size(task.upload.name) == path.stat().st_size
    assert any("could not be enqueued" in record.getMessage() for record in caplog.records)

    # The broker is back: the maintenance job finds the waiting row nobody claimed and hands it over.
    handed: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("core.jobs.async_task", lambda func, *args, **kwargs: handed.append((func, args)))
    later = timezone.now() + timedelta(seconds=3600)
    assert jobs.recover_stale(now=later)["resumed"] == 1
    assert handed == [("library.tasks.validate_task", (task.id,))]


def test_a_url_task_whose_enqueue_fails_is_answered_success(
    api: Any, index: Any, settings: Any, broken_broker: list[str]
) -> None:
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    response = api.post("/v1.2/tasks", {"index_id": index.id, "video_url": "http://127.0.0.1:9/a.mp4"})
    assert response.status_code == 201, response.content[:300]
    assert Task.objects.filter(id=response.json()["_id"], status=TaskStatus.VALIDATING).exists()


def test_a_native_upload_whose_enqueue_fails_is_kept(
    api: Any, index: Any, short_clips: dict[str, Path], broken_broker: list[str]
) -> None:
    with open(short_clips["city.mp4"], "rb") as handle:
        response = api.post("/api/v1/tasks/", {"index": index.id, "video_file": handle}, format="multipart")
    assert response.status_code == 202, response.content[:300]
    task = Task.objects.get()
    assert default_storage.exists(task.upload.name)
