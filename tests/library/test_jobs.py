"""The one job lifecycle (core/jobs.py): claims, the heartbeat lease, retries, failures, cancel, recovery."""

from __future__ import annotations

import errno
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.db import OperationalError
from django.utils import timezone

from core import jobs
from engines.base import EngineError
from library import pipeline, services
from library.kinds import INDEXING, VALIDATION
from library.models import Segment, Task, TaskStatus, Thumbnail, Video
from tests.factories import SYSTEM
from tests.library.conftest import StaticHost

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """What the lifecycle hands to the broker, recorded instead of run."""
    messages: list[tuple[str, Any]] = []
    monkeypatch.setattr("core.jobs.async_task", lambda func, row_id, **kw: messages.append((func, row_id)))
    return messages


def _queued(index: Any, **fields: Any) -> Task:
    return Task.objects.create(index=index, filename="clip.mp4", status=TaskStatus.QUEUED, **fields)


def _age(task: Task, seconds: float) -> None:
    """Make the task's last heartbeat (and update) `seconds` old."""
    then = timezone.now() - timedelta(seconds=seconds)
    Task.objects.filter(id=task.id).update(heartbeat_at=then, updated_at=then)


def _upload(index: Any, path: Path) -> Task:
    with open(path, "rb") as handle:
        return services.task_create_from_file(
            actor=SYSTEM, index=index, content=File(handle, name=path.name), filename=path.name
        )


def test_of_two_claims_only_one_wins_and_an_expired_lease_can_be_taken_over(index: Any, settings: Any) -> None:
    task = _queued(index)
    first = jobs.claim(INDEXING, task.id, worker="a")
    assert first is not None and jobs.claim(INDEXING, task.id, worker="b") is None
    task.refresh_from_db()
    assert (task.status, task.claimed_by, task.attempts) == (TaskStatus.INDEXING, "a", 1)
    assert task.started_at is not None and task.heartbeat_at is not None

    _age(task, settings.FRAMEWISE_TASK_LEASE_SECONDS + 1)
    second = jobs.claim(INDEXING, task.id, worker="b")
    assert second is not None
    task.refresh_from_db()
    assert (task.claimed_by, task.attempts) == ("b", 2)
    with pytest.raises(jobs.LostClaim):
        first.renew(progress=50.0)  # the old holder's writes miss
    assert Task.objects.get(id=task.id).progress == 0.0


def test_the_heartbeat_keeps_a_long_call_alive_and_notices_a_cancel(index: Any, settings: Any, sent: list) -> None:
    settings.FRAMEWISE_TASK_LEASE_SECONDS = 2  # heartbeat every 0.5 s
    task = _queued(index)
    lease = jobs.claim(INDEXING, task.id, worker="w")
    assert lease is not None
    seen: dict[str, Any] = {}
    # The block swallows exceptions (that is its job), so what happens inside is recorded
    # and asserted after it.
    with lease:
        seen["claimed"] = Task.objects.get(id=task.id).heartbeat_at
        time.sleep(3.0)  # a long engine call that reports no progress, longer than the lease
        seen["renewed"] = Task.objects.get(id=task.id).heartbeat_at
        seen["recovered"] = jobs.recover_stale(kinds=[INDEXING])
        jobs.cancel(INDEXING, Task.objects.filter(id=task.id), code="video_deleted", message="The video was deleted.")
        deadline = time.monotonic() + 5
        while not lease.lost.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["noticed"] = lease.lost.is_set()
        lease.check()  # raises LostClaim: the block ends without writing
        seen["went_on"] = True
    assert seen["renewed"] > seen["claimed"] + timedelta(seconds=2)
    assert seen["recovered"] == {"resumed": 0, "failed": 0}
    assert seen["noticed"] and "went_on" not in seen
    task.refresh_from_db()
    assert (task.status, task.error_code, task.claimed_by) == (TaskStatus.FAILED, "video_deleted", "")
    assert sent == []


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (OperationalError("server closed the connection unexpectedly"), "database_unavailable"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk_full"),
        (EngineError("The model server timed out.", transient=True, code="engine_timeout"), "engine_timeout"),
    ],
)
def test_transient_errors_release_the_job_for_retry_then_fail_after_the_limit(
    index: Any, settings: Any, sent: list, error: Exception, code: str
) -> None:
    task = _queued(index)
    for attempt in range(1, settings.FRAMEWISE_TASK_MAX_ATTEMPTS + 1):
        lease = jobs.claim(INDEXING, task.id, worker="w")
        assert lease is not None
        with lease:
            lease.renew(progress=30.0, stage="decode")
            raise error
        task.refresh_from_db()
        if attempt < settings.FRAMEWISE_TASK_MAX_ATTEMPTS:
            assert (task.status, task.claimed_by, task.progress, task.error_code) == (TaskStatus.QUEUED, "", 0.0, "")
            assert sent[-1] == ("library.tasks.index_task", task.id)
    assert (task.status, task.error_code) == (TaskStatus.FAILED, code)
    assert f"gave up after {settings.FRAMEWISE_TASK_MAX_ATTEMPTS} attempts" in task.error_message
    assert len(sent) == settings.FRAMEWISE_TASK_MAX_ATTEMPTS - 1


@pytest.mark.parametrize(
    ("error", "code", "text"),
    [
        (
            EngineError("The file is not a video.", transient=False, code="video_file_broken"),
            "video_file_broken",
            "not a",
        ),
        # A crash names its error code; the exception (class, text, paths) goes to the log only.
        (OSError(errno.EACCES, "Permission denied"), "indexing_failed", "indexing_failed"),
        (ZeroDivisionError("division by zero"), "indexing_failed", "indexing_failed"),
    ],
)
def test_permanent_errors_and_crashes_fail_at_once_with_a_reason(
    index: Any, sent: list, error: Exception, code: str, text: str
) -> None:
    task = _queued(index)
    lease = jobs.claim(INDEXING, task.id, worker="w")
    assert lease is not None
    with lease:
        raise error
    task.refresh_from_db()
    assert (task.status, task.error_code, task.attempts, task.claimed_by) == (TaskStatus.FAILED, code, 1, "")
    assert text in task.error_message and task.finished_at is not None
    if code == "indexing_failed":  # a crash: nothing of the exception in the stored message
        assert type(error).__name__ not in task.error_message and str(error) not in task.error_message
    assert sent == []


def test_recovery_resumes_dead_workers_jobs_and_lost_messages_and_fails_hopeless_ones(
    index: Any, settings: Any, sent: list
) -> None:
    dead = _queued(index)
    assert jobs.claim(INDEXING, dead.id, worker="killed") is not None
    Task.objects.filter(id=dead.id).update(progress=24.0, stage="speech")
    _age(dead, settings.FRAMEWISE_TASK_LEASE_SECONDS + 1)
    alive = _queued(index)
    assert jobs.claim(INDEXING, alive.id, worker="alive") is not None
    lost = _queued(index)  # its broker message vanished: nobody ever claimed it
    _age(lost, settings.FRAMEWISE_TASK_REQUEUE_SECONDS + 1)
    waiting = _queued(index)  # queued a moment ago: its message is still on the way
    hopeless = _queued(index, attempts=settings.FRAMEWISE_TASK_MAX_ATTEMPTS)
    Task.objects.filter(id=hopeless.id).update(status=TaskStatus.INDEXING, claimed_by="killed")
    _age(hopeless, settings.FRAMEWISE_TASK_LEASE_SECONDS + 1)

    assert jobs.recover_stale() == {"resumed": 2, "failed": 1}

    rows = {task.id: task for task in Task.objects.all()}
    assert (rows[dead.id].status, rows[dead.id].claimed_by, rows[dead.id].progress) == (TaskStatus.QUEUED, "", 0.0)
    assert (rows[alive.id].status, rows[alive.id].claimed_by) == (TaskStatus.INDEXING, "alive")
    assert rows[waiting.id].status == TaskStatus.QUEUED
    assert (rows[hopeless.id].status, rows[hopeless.id].error_code) == (TaskStatus.FAILED, "worker_lost")
    assert sorted(sent) == sorted([("library.tasks.index_task", dead.id), ("library.tasks.index_task", lost.id)])
    assert jobs.recover_stale() == {"resumed": 0, "failed": 0}  # a second pass finds nothing


def test_a_video_deleted_while_it_indexes_does_not_come_back(
    index: Any, two_shot_video: Path, sent: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = _upload(index, two_shot_video)
    pipeline.task_validate(task_id=task.id)
    task.refresh_from_db()
    real_analyze = pipeline.get_engine().analyze

    def analyze_while_the_editor_deletes(*args: Any, **kwargs: Any) -> Any:
        analysis = real_analyze(*args, **kwargs)
        services.video_delete(actor=SYSTEM, video=Video.objects.get(id=task.video_id))
        return analysis

    monkeypatch.setattr(pipeline.get_engine(), "analyze", analyze_while_the_editor_deletes)
    pipeline.task_index(task_id=task.id)

    task.refresh_from_db()
    assert (task.status, task.error_code, task.video_id) == (TaskStatus.FAILED, "video_deleted", None)
    assert not Video.objects.exists() and not Segment.objects.exists() and not Thumbnail.objects.exists()


def test_failing_or_retrying_a_duplicate_never_touches_the_other_tasks_video(
    index: Any, two_shot_video: Path, static_host: StaticHost, sent: list, settings: Any
) -> None:
    first = _upload(index, two_shot_video)
    pipeline.task_validate(task_id=first.id)
    original = Video.objects.get(tasks=first.id)  # queued for indexing, not ready yet
    duplicate = services.task_create_from_url(
        actor=SYSTEM, index=index, url=static_host.publish(two_shot_video, "again.mp4")
    )
    pipeline.task_validate(task_id=duplicate.id)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.error_code, duplicate.video_id) == (
        TaskStatus.FAILED, "video_already_exists", original.id
    )  # fmt: skip

    services.task_retry(actor=SYSTEM, task=duplicate)
    duplicate.refresh_from_db()
    assert duplicate.video_id is None  # the retry lets go of the other task's video
    pipeline.task_validate(task_id=duplicate.id)
    duplicate.refresh_from_db()
    assert duplicate.error_code == "video_already_exists"

    # Even a duplicate that keeps killing its workers fails without taking the video along.
    Task.objects.filter(id=duplicate.id).update(
        status=TaskStatus.VALIDATING, claimed_by="killed", attempts=settings.FRAMEWISE_TASK_MAX_ATTEMPTS
    )
    _age(duplicate, settings.FRAMEWISE_TASK_LEASE_SECONDS + 1)
    assert jobs.recover_stale(kinds=[VALIDATION]) == {"resumed": 0, "failed": 1}
    assert Video.objects.filter(id=original.id, indexed_at__isnull=True).exists()
    pipeline.task_index(task_id=first.id)
    assert Video.objects.get(id=original.id).is_ready


def test_a_task_whose_lease_expired_shows_as_waiting_to_resume(api: Any, index: Any, settings: Any) -> None:
    task = _queued(index, duration=60.0)
    assert jobs.claim(INDEXING, task.id, worker="w") is not None
    Task.objects.filter(id=task.id).update(progress=24.0, stage="speech", indexing_started_at=timezone.now())

    working = api.get(f"/v1.2/tasks/{task.id}").json()
    assert (working["status"], working["process"]["percentage"]) == ("indexing", 24.0)
    assert working["process"]["remain_seconds"] is not None and working["estimated_time"] is not None

    _age(task, settings.FRAMEWISE_TASK_LEASE_SECONDS + 1)  # the worker was killed
    stalled = api.get(f"/v1.2/tasks/{task.id}").json()
    assert (stalled["status"], stalled["process"]["percentage"]) == ("queued", 0.0)
    assert stalled["process"]["remain_seconds"] is None and stalled["estimated_time"] is None
    native = api.get(f"/api/v1/tasks/{task.id}/").json()
    assert (native["status"], native["progress"], native["waiting_to_resume"]) == ("queued", 0.0, True)
    assert native["remain_seconds"] is None
