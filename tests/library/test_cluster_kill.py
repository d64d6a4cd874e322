"""Acceptance: SIGKILL a real qcluster worker mid-index, mid-classification and mid-generation.

Each killed job must be resumed by another worker within 2 minutes of the kill (the lease
plus django-q2's schedule: README, "recover") and then finish, with no duplicate segments,
labels or generation results and no video lost; while the dead worker's lease is
expired the API shows the task waiting to resume, not the dead attempt's progress.
The cluster runs with a short lease (FRAMEWISE_TASK_LEASE_SECONDS) so the wait is
bounded by django-q2's schedule (the maintenance job runs about once a minute).
The measured kill-to-finish times are printed (`pytest -s`).

The kill points do not depend on timing: the test cluster (tests/cluster_with_delays.py)
stops the worker at the point to kill (mid-index after a progress write, between two videos
of a run) and leaves a marker; the test kills the marker's holder. Polling for a progress
window instead failed on a quiet machine, where the 30-s video indexed before the poll saw it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from django_q.models import Schedule

from core import jobs
from library.generation.jobs import videos_generate_metadata
from library.models import GeneratedText, GenerationStatus, Segment, Task, TaskStatus, Video
from taxonomy import run_services
from taxonomy import services as taxonomy_services
from taxonomy.models import ClassificationRun, RunStatus, VideoLabel
from taxonomy.params import ClassSpec
from taxonomy.scoring import Thresholds
from tests.factories import SYSTEM
from tests.fake_llm import FakeChatServer, Reply, fake_chat_server
from tests.library.test_cluster import ROOT, _database_url_of_test_db
from tests.library.test_ingest import upload
from tests.processes import stop
from tests.videos import OnScreenText, Scene

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 6
LABEL_DELAY = 1.5  # seconds before a run's first video's labels: its progress write (1/s) is due by then
BUDGET = 120.0  # a killed job must be claimed again this long after the kill
# ... and finished this long after the kill: the resumed attempt redoes the job's work, whose
# duration depends on the machine's load (148 s for the 30-s video with two clusters on 2 cores).
FINISH_WAIT = 600.0
TEXT_OPTIONS = ["conversation", "text_in_video"]
GIST = json.dumps({"title": "Pasta and Pets", "topics": ["Cooking"], "hashtags": ["pasta"]})


def _scene(background: str, caption: str, sentence: str) -> Scene:
    return Scene(5.0, background, texts=(OnScreenText(caption, y=0.3, size=0.12),), speech=sentence)


@pytest.fixture(scope="module")
def long_video(videos: Callable[..., Path]) -> Path:
    """30 s of speech and captions: long enough to be killed in the middle of indexing."""
    return videos(
        "long-show.mp4",
        [
            _scene("color=c=navy", "PASTA RECIPE", "Today we are cooking pasta with tomato sauce in the kitchen."),
            _scene("color=c=darkred", "EASY DINNER", "Chop the onions and stir the soup on the stove."),
            _scene("color=c=darkgreen", "CUTE PUPPIES", "My dog loves to play fetch with his ball in the park."),
            _scene("mandelbrot", "FUNNY CATS", "The kitten is sleeping next to her cat food bowl."),
            _scene("color=c=maroon", "SPORTS CARS", "This new electric car has a powerful engine."),
            _scene("testsrc", "AUTO REPAIR GARAGE", "We change the tires and check the brakes of the truck."),
        ],
        size=(640, 360),
    )


@pytest.fixture
def llm(settings: Any) -> Iterator[FakeChatServer]:
    with fake_chat_server() as server:
        settings.FRAMEWISE_GENERATION_PROVIDER = "openai"
        settings.FRAMEWISE_OPENAI_BASE_URL = server.url
        settings.FRAMEWISE_OPENAI_MODEL = "tiny-llm"
        settings.FRAMEWISE_OPENAI_API_KEY = ""
        yield server


@pytest.fixture
def holds(tmp_path: Path) -> Path:
    """Where the test cluster's workers leave a marker when they stop at a kill point."""
    folder = tmp_path / "holds"
    folder.mkdir()
    return folder


@pytest.fixture
def cluster(settings: Any, llm: FakeChatServer, tmp_path: Path, holds: Path) -> Iterator[subprocess.Popen[str]]:
    settings.FRAMEWISE_TASK_LEASE_SECONDS = LEASE_SECONDS  # this process reads leases too (the API)
    # As migration library/0002 registers it (transactional tests flush the table between tests).
    Schedule.objects.update_or_create(
        name="framewise-maintenance",
        defaults={"func": "library.tasks.maintenance", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_of_test_db(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "WORKER_PROCESSES": "1",
        "SECRET_KEY": settings.SECRET_KEY,
        "FRAMEWISE_TASK_LEASE_SECONDS": str(LEASE_SECONDS),
        "FRAMEWISE_TEST_LABEL_DELAY": str(LABEL_DELAY),
        "FRAMEWISE_TEST_HOLD_DIR": str(holds),
        "FRAMEWISE_TEST_INDEX_HOLD_FILE": "long-show.mp4",
        "FRAMEWISE_GENERATION_PROVIDER": "openai",
        "FRAMEWISE_OPENAI_BASE_URL": llm.url,
        "FRAMEWISE_OPENAI_MODEL": "tiny-llm",
        "FRAMEWISE_OPENAI_TIMEOUT": "120",
    }
    log = (tmp_path / "cluster.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.cluster_with_delays"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    stop(process)
    log.close()


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _kill_holder(
    model: Any, pk: Any, cluster: subprocess.Popen[str], ready: Callable[[Any], bool], *, timeout: float = 240.0
) -> tuple[float, Any]:
    """SIGKILL the cluster worker holding the row once `ready(row)`; (when, the row as it was)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if row.claimed_by and ready(row):
            row = model.objects.get(pk=pk)  # as it is now, at the kill point (read after `ready`)
            pid = int(row.claimed_by.rsplit(":", 1)[1])
            assert pid in _descendants(cluster.pid), "the holder is not one of our cluster's workers"
            os.kill(pid, signal.SIGKILL)
            return time.monotonic(), row
        assert cluster.poll() is None, "the cluster exited"
        time.sleep(0.1)
    raise AssertionError(f"{model.__name__} {pk} never reached the point to kill it: {row.status}")


def _held(holds: Path, name: str, pk: Any) -> Callable[[Any], bool]:
    """Ready to kill once the worker holding `pk` stopped at the hold `name` (its marker names `pk`)."""

    def ready(row: Any) -> bool:
        marker = holds / name
        return marker.exists() and marker.read_text() == str(pk)

    return ready


def _wait_finished(
    model: Any,
    pk: Any,
    done: tuple[str, ...],
    since: float,
    observe: Callable[[Any], None] | None = None,
    *,
    killed: Any = None,
) -> tuple[float, Any, float]:
    """(seconds from `since` to a `done` status, the row, seconds until a new attempt claimed it).

    With `killed` (the row at the kill), the new attempt is the first poll that sees more
    attempts than it had; without, the third value is 0.
    """
    resumed = 0.0
    while time.monotonic() - since < FINISH_WAIT:
        row = model.objects.get(pk=pk)
        if killed is not None and not resumed and row.attempts > killed.attempts:
            resumed = time.monotonic() - since
        if observe is not None:
            observe(row)
        if row.status in done:
            return time.monotonic() - since, row, resumed
        time.sleep(0.25)
    raise AssertionError(f"{model.__name__} {pk} still {row.status} {FINISH_WAIT:.0f} s after the kill")


def test_jobs_of_a_killed_worker_finish_within_two_minutes(
    api: Any,
    index: Any,
    cluster: subprocess.Popen[str],
    holds: Path,
    llm: FakeChatServer,
    long_video: Path,
    two_shot_video: Path,
) -> None:
    timings: dict[str, float] = {}  # kill to finished
    resumed: dict[str, float] = {}  # kill to claimed again

    # --- mid-index -------------------------------------------------------------------------
    long_id = upload(api, index.id, long_video)
    short_id = upload(api, index.id, two_shot_video)
    # STARVED_POLL=<s> stands for a loaded machine (the test process gets no CPU for that long):
    # the worker waits at its kill point all the same (45 s: passes here, failed before the holds).
    time.sleep(float(os.environ.get("STARVED_POLL", "0")))
    killed_at, before = _kill_holder(Task, long_id, cluster, _held(holds, "index", long_id))
    shown_while_stalled: list[tuple[str, float, Any]] = []

    def observe(task: Task) -> None:
        if jobs.lease_expired(task, running=TaskStatus.INDEXING):
            body = api.get(f"/v1.2/tasks/{task.id}").json()
            # Counted only if no new attempt claimed the task meanwhile: then the answer was given
            # while the lease was expired (a slow poll otherwise races the resumed worker).
            after = Task.objects.get(pk=task.pk)
            if after.attempts == task.attempts and jobs.lease_expired(after, running=TaskStatus.INDEXING):
                shown_while_stalled.append((body["status"], body["process"]["percentage"], body["estimated_time"]))

    timings["index"], task, resumed["index"] = _wait_finished(
        Task, long_id, (TaskStatus.READY, TaskStatus.FAILED), killed_at, observe, killed=before
    )
    assert task.status == TaskStatus.READY, (task.error_code, task.error_message)
    assert task.attempts == 2 and before.status == TaskStatus.INDEXING and 5.0 <= before.progress < 90.0
    assert shown_while_stalled, "the expired lease was never observed"
    assert all(shown == ("queued", 0.0, None) for shown in shown_while_stalled), shown_while_stalled
    _wait_finished(Task, short_id, (TaskStatus.READY, TaskStatus.FAILED), time.monotonic())
    assert Task.objects.get(id=short_id).status == TaskStatus.READY
    assert Video.objects.filter(index=index, indexed_at__isnull=False).count() == 2  # no video lost
    assert Video.objects.count() == 2
    for video in Video.objects.all():
        positions = list(Segment.objects.filter(video=video).values_list("position", flat=True))
        assert positions and sorted(positions) == list(range(len(positions)))  # no duplicate segments

    # --- mid-classification ------------------------------------------------------------------
    classes = [
        ClassSpec("Cooking", ("cooking a meal", "a recipe", "food in the kitchen"), tuple(TEXT_OPTIONS)),
        ClassSpec("Pets", ("dogs", "cats", "playing with pets"), tuple(TEXT_OPTIONS)),
        ClassSpec("Cars", ("cars", "a car engine", "auto repair", "trucks and tires"), tuple(TEXT_OPTIONS)),
    ]
    taxonomy = taxonomy_services.taxonomy_save_classes(actor=SYSTEM, team=api.team, name="Topics", classes=classes)
    run = run_services.run_create(
        actor=SYSTEM,
        taxonomy=taxonomy,
        index=index,
        options=TEXT_OPTIONS,
        thresholds=Thresholds(min_duration_ratio=0.15),
    )
    killed_at, before = _kill_holder(ClassificationRun, run.id, cluster, _held(holds, "labels", run.id))
    timings["classification"], run, resumed["classification"] = _wait_finished(
        ClassificationRun, run.id, (RunStatus.SUCCEEDED, RunStatus.FAILED), killed_at, killed=before
    )
    assert run.status == RunStatus.SUCCEEDED, (run.error_code, run.error_message)
    assert (run.attempts, run.videos_done, before.status, before.videos_done) == (2, 2, RunStatus.RUNNING, 1)
    labels = VideoLabel.objects.filter(node__taxonomy=taxonomy)
    assert labels.exists() and set(labels.values_list("run_id", flat=True)) == {run.id}
    assert not labels.values("video", "node").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert run.labels_written == labels.count()

    # --- mid-generation ---------------------------------------------------------------------
    # The first request (the gist) hangs until its worker is killed; the rest answer at once.
    llm.replies += [Reply(content=GIST, delay=60.0), Reply(content="A cook makes pasta."), Reply(content=GIST)]
    video = Video.objects.select_related("index").get(id=Task.objects.get(id=long_id).video_id)
    assert videos_generate_metadata(actor=SYSTEM, videos=[video]).queued == 2
    gist = GeneratedText.objects.get(video=video, kind="gist")
    killed_at, before = _kill_holder(
        GeneratedText, gist.pk, cluster, lambda row: row.status == GenerationStatus.RUNNING and len(llm.requests) >= 1
    )
    done = (GenerationStatus.READY, GenerationStatus.FAILED)
    timings["generation"], gist, resumed["generation"] = _wait_finished(
        GeneratedText, gist.pk, done, killed_at, killed=before
    )
    assert (gist.status, gist.attempts, gist.data["title"]) == (GenerationStatus.READY, 2, "Pasta and Pets")
    summary = GeneratedText.objects.get(video=video, kind="summary")
    _wait_finished(GeneratedText, summary.pk, done, time.monotonic())
    assert "pasta" in GeneratedText.objects.get(pk=summary.pk).data["summary"]
    assert GeneratedText.objects.filter(video=video).count() == 2  # one result per request, no duplicates
    assert len(llm.requests) == 3

    print("\nkill-to-resume seconds:", {name: round(value, 1) for name, value in resumed.items()})
    print("kill-to-finish seconds:", {name: round(value, 1) for name, value in timings.items()})
    assert all(0 < value <= BUDGET for value in resumed.values()), resumed
