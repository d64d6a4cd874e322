"""Beyond one machine: two web and two worker processes that share only PostgreSQL, Redis and S3.

Each process is started as in production (gunicorn for the web, `manage.py qcluster` for the
workers) with an empty MEDIA_ROOT and a temporary folder of its own, so none can read a file
another wrote to its disk. A video uploaded through web 1 is indexed by a worker, found by
search through web 2 (whose in-memory search state was warmed before the upload, so it must
notice the new video itself) and its media fetched through web 2; deleting it through web 2
removes every object from the store. docker-compose.yml runs the same topology.

The test talks to the processes over HTTP only, on a database of its own (created and dropped
here), so it runs whatever database the rest of the suite uses. It is skipped only when no
PostgreSQL or Redis server can be reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg
import pytest
import redis
import requests
from django.conf import settings

from tests.library.test_cluster import ROOT
from tests.object_store import MotoServer, S3Media, files_under, free_port
from tests.processes import stop

# Seconds for the upload to be ready (workers load their models first): a bound for a machine
# shared with other work, not a measurement; the time it took is printed (`pytest -s`).
DEADLINE = 600.0
TEXT_OPTIONS = ["conversation", "text_in_video"]


def _postgres_server_url() -> str:
    """The suite's PostgreSQL server, or FRAMEWISE_TEST_POSTGRES_URL, or the local default."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        db = settings.DATABASES["default"]
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        return f"postgres://{db.get('USER') or ''}{password}@{host}/postgres"
    return os.environ.get("FRAMEWISE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _libpq(url: str) -> str:
    config = dj_database_url.parse(url)
    fields = {
        "host": config.get("HOST"), "port": config.get("PORT"), "user": config.get("USER"),
        "password": config.get("PASSWORD"), "dbname": config.get("NAME"),
    }  # fmt: skip
    return " ".join(f"{key}={value}" for key, value in fields.items() if value)


@pytest.fixture
def cluster_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the cluster (DATABASE_URL), dropped afterwards."""
    server = _postgres_server_url()
    try:
        admin = psycopg.connect(_libpq(server), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {server}: {exc}")
    name = f"fw_cluster_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _with_database(server, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cluster_redis() -> str:
    url = settings.REDIS_URL or os.environ.get("FRAMEWISE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {url}: {exc}")
    return url


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    media_root: Path
    temp: Path

    def tail(self) -> str:
        return f"--- {self.name} ---\n" + self.log.read_text(errors="replace")[-3000:]


@dataclass
class Cluster:
    web: list[str]  # base URLs
    processes: list[Process]
    key: str

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}

    def logs(self) -> str:
        return "\n".join(process.tail() for process in self.processes)

    def check_alive(self) -> None:
        for process in self.processes:
            assert process.popen.poll() is None, f"{process.name} exited\n{self.logs()}"


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _wait_until(check: Callable[[], bool], *, timeout: float, cluster: Cluster, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        cluster.check_alive()
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s\n{cluster.logs()}"
        time.sleep(0.25)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz?scope=web", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def cluster(
    cluster_database: str, cluster_redis: str, moto_server: MotoServer, tmp_path: Path
) -> Iterator[tuple[Cluster, S3Media]]:
    media = S3Media(server=moto_server, bucket=f"cluster-{uuid.uuid4().hex[:12]}", delivery="stream")
    moto_server.client().create_bucket(Bucket=media.bucket)
    shared = {
        **os.environ,
        **media.env,  # streamed by the web processes: as in docker-compose.yml, clients never see the store
        "DATABASE_URL": cluster_database,
        "REDIS_URL": cluster_redis,
        "WORKER_QUEUE_NAME": f"fw-test-{uuid.uuid4().hex[:8]}",  # other runs on this Redis keep their jobs
        "SECRET_KEY": "cluster-test-" + uuid.uuid4().hex,
        "DEBUG": "0",
        "WORKER_PROCESSES": "1",
        "FRAMEWISE_VISUAL_CONCEPTS": "0",
        "FRAMEWISE_TASK_LEASE_SECONDS": "30",
    }
    _manage(shared, "migrate", "--noinput", "-v0")
    seed = "from tests.factories import ApiKeyFactory; print(ApiKeyFactory.create_with_raw()[1])"
    key = _manage(shared, "shell", "--no-imports", "-c", seed).strip().splitlines()[-1]

    processes: list[Process] = []
    web: list[str] = []
    with ExitStack() as stack:
        for name in ("web-1", "web-2", "worker-1", "worker-2"):
            own = tmp_path / name
            (own / "media").mkdir(parents=True)
            (own / "tmp").mkdir()
            env = {**shared, "MEDIA_ROOT": str(own / "media"), "TMPDIR": str(own / "tmp")}
            if name.startswith("web"):
                port = free_port()
                web.append(f"http://127.0.0.1:{port}")
                command = [
                    sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                    "--workers", "1", "--threads", "4", "--worker-class", "gthread", "--timeout", "600",
                ]  # fmt: skip
            else:
                command = [sys.executable, "manage.py", "qcluster"]
            log = stack.enter_context((own / "log.txt").open("wb"))
            popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            processes.append(Process(name, popen, own / "log.txt", own / "media", own / "tmp"))
        running = Cluster(web=web, processes=processes, key=key)
        try:
            for url in web:
                _wait_until(lambda url=url: _answers(url), timeout=120, cluster=running, what=f"{url} answering")
            yield running, media
        finally:
            stop(*(process.popen for process in processes))


def _search(cluster: Cluster, web: str, index_id: str, query: str) -> list[dict[str, Any]]:
    response = requests.post(
        f"{web}/v1.2/search",
        json={"index_id": index_id, "query": query, "search_options": ["conversation"]},
        headers=cluster.headers(),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_two_web_and_two_worker_processes_share_only_the_database_redis_and_the_object_store(
    cluster: tuple[Cluster, S3Media], two_shot_video: Path
) -> None:
    running, media = cluster
    web_1, web_2 = running.web
    headers = running.headers()
    created = requests.post(
        f"{web_1}/v1.2/indexes",
        json={
            "index_name": "beyond one machine",
            "engines": [{"engine_name": "marengo2.6", "engine_options": TEXT_OPTIONS}],
            "addons": ["thumbnail"],
        },
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    index_id = created.json()["_id"]
    assert _search(running, web_2, index_id, "cooking pasta") == []  # web 2 holds this index's (empty) state

    with two_shot_video.open("rb") as handle:
        uploaded = requests.post(
            f"{web_1}/v1.2/tasks",
            data={"index_id": index_id, "language": "en"},
            files={"video_file": ("two-shots.mp4", handle, "video/mp4")},
            headers=headers,
            timeout=120,
        )
    assert uploaded.status_code == 201, uploaded.text
    task_id = uploaded.json()["_id"]

    def ready() -> bool:
        task = requests.get(f"{web_2}/v1.2/tasks/{task_id}", headers=headers, timeout=30).json()
        assert task["status"] != "failed", task
        return bool(task["status"] == "ready")

    uploaded_at = time.monotonic()
    _wait_until(ready, timeout=DEADLINE, cluster=running, what="the upload indexed")
    print(f"uploaded through web 1, ready (seen through web 2) {time.monotonic() - uploaded_at:.1f} s later")
    video_id = requests.get(f"{web_2}/v1.2/tasks/{task_id}", headers=headers, timeout=30).json()["video_id"]

    hits = _search(running, web_2, index_id, "cooking pasta")
    assert hits and hits[0]["video_id"] == video_id, hits

    video = requests.get(f"{web_2}/v1.2/indexes/{index_id}/videos/{video_id}", headers=headers, timeout=30).json()
    video_url, thumbnails = video["hls"]["video_url"], video["hls"]["thumbnail_urls"]
    assert video_url.startswith(f"{web_2}/media/") and thumbnails  # streamed by web 2 from the store
    ranged = requests.get(video_url, headers={"Range": "bytes=100-4195"}, timeout=30)
    assert ranged.status_code == 206, ranged.text
    assert ranged.content == two_shot_video.read_bytes()[100:4196]
    assert ranged.headers["Content-Type"] == "video/mp4"
    assert ranged.headers["X-Content-Type-Options"] == "nosniff"
    assert ranged.headers["Content-Range"] == f"bytes 100-4195/{two_shot_video.stat().st_size}"
    whole = requests.get(thumbnails[0], timeout=30)
    assert whole.status_code == 200 and whole.headers["Content-Type"] == "image/jpeg"
    assert whole.content[:3] == b"\xff\xd8\xff"
    # A URL signed by web 2 is served by web 1 as well: the signature needs only the shared SECRET_KEY.
    elsewhere = requests.get(thumbnails[0].replace(web_2, web_1), timeout=30)
    assert elsewhere.status_code == 200 and elsewhere.content == whole.content

    stored = media.keys()
    assert any(key.startswith("uploads/") and key.endswith(".mp4") for key in stored)
    assert any(key.startswith("thumbnails/") for key in stored)
    for process in running.processes:  # media never touched a disk of its own
        assert files_under(process.media_root) == [], process.name
        assert [name for name in files_under(process.temp) if name.endswith((".mp4", ".jpg"))] == [], process.name

    deleted = requests.delete(f"{web_2}/v1.2/indexes/{index_id}/videos/{video_id}", headers=headers, timeout=30)
    assert deleted.status_code in (200, 204), deleted.text
    assert media.keys() == []
    assert requests.get(video_url, timeout=30).status_code == 404
    assert _search(running, web_1, index_id, "cooking pasta") == []
