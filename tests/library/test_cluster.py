"""A real django-q2 cluster (ORM broker, or Redis when REDIS_URL is set) indexes an upload."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_q.models import Schedule

from library.models import Task, TaskStatus
from tests.library.test_ingest import upload
from tests.processes import stop

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _database_url_of_test_db() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _cluster_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": _database_url_of_test_db(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "WORKER_PROCESSES": "1",
        "SECRET_KEY": settings.SECRET_KEY,
    }


def test_a_worker_cluster_process_indexes_an_uploaded_video(api, index, two_shot_video):
    env = _cluster_env()
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        task_id = upload(api, index.id, two_shot_video)
        deadline = time.monotonic() + 120
        status = ""
        while time.monotonic() < deadline:
            status = Task.objects.get(id=task_id).status
            if status in (TaskStatus.READY, TaskStatus.FAILED):
                break
            time.sleep(0.5)
        task = Task.objects.get(id=task_id)
        assert task.status == TaskStatus.READY, (task.error_code, task.error_message)
        assert task.video.shots and task.video.thumbnails.exists()
        assert task.claimed_by == ""
    finally:
        stop(cluster)


def test_healthz_is_healthy_as_soon_as_a_worker_is_up(client):
    # Without the maintenance schedule, only the workers' start-up heartbeat can make it healthy.
    Schedule.objects.all().delete()
    assert client.get("/healthz").status_code == 503
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=_cluster_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    started = time.monotonic()
    try:
        while time.monotonic() - started < 25 and client.get("/healthz").status_code != 200:
            time.sleep(0.25)
        waited = time.monotonic() - started
        response = client.get("/healthz")
        assert response.status_code == 200, response.json()
        assert waited < 25 and response.json()["checks"]["worker"]["ok"]
    finally:
        stop(cluster)
