"""Reads shared by the API, the admin and the pages."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, FloatField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import jobs
from core.models import Team
from library.models import Index, Task, TaskStatus, Video

# Seconds of work per second of video when nothing has been measured yet: the local
# engine's measured end-to-end factor with every option (shared/notes, section 4).
DEFAULT_RATE = 0.1
_rate_cache: tuple[float, float] = (0.0, DEFAULT_RATE)


def indexes_for_teams(teams: list[Team]) -> QuerySet[Index]:
    """The teams' indexes with their ready videos' count and total duration: an aggregate over
    every video of each index, for the views that show them (a search only needs the index)."""
    ready = Q(videos__indexed_at__isnull=False)
    return Index.objects.visible_to(teams).annotate(
        video_count=Count("videos", filter=ready),
        total_duration=Coalesce(Sum("videos__duration", filter=ready), Value(0.0), output_field=FloatField()),
    )


def ready_videos(index: Index) -> QuerySet[Video]:
    return index.videos.filter(indexed_at__isnull=False)


def indexing_rate() -> float:
    """Measured seconds of indexing per second of video (median of the last 20 ready tasks).

    Cached for a minute per process: ETAs are read on every poll of every task.
    """
    global _rate_cache
    checked_at, rate = _rate_cache
    if time.monotonic() - checked_at < 60:
        return rate
    rows = (
        Task.objects.filter(status=TaskStatus.READY, indexing_started_at__isnull=False, duration__gt=0)
        .order_by("-finished_at")
        .values_list("indexing_started_at", "finished_at", "duration")[:20]
    )
    rates = [
        (finished - started).total_seconds() / duration
        for started, finished, duration in rows
        if started and finished and duration  # the filter guarantees these; the row types cannot say so
    ]
    rate = statistics.median(rates) if rates else DEFAULT_RATE
    _rate_cache = (time.monotonic(), rate)
    return rate


def task_waiting_to_resume(task: Task, *, now: datetime | None = None) -> bool:
    """Its worker stopped renewing the lease (it died): nobody is doing the work the row shows."""
    running = task.status if task.status in (TaskStatus.VALIDATING, TaskStatus.INDEXING) else ""
    return jobs.lease_expired(task, running=running, now=now)


def task_eta(task: Task, *, now: datetime | None = None) -> tuple[float | None, datetime | None]:
    """(remaining seconds, estimated finish) for an active task; (None, None) once done, stalled or unknown."""
    if task.is_done or not task.duration or task_waiting_to_resume(task, now=now):
        return None, None
    now = now or timezone.now()
    fraction = task.progress / 100.0
    if task.status == TaskStatus.INDEXING and task.indexing_started_at and fraction >= 0.1:
        # Far enough along to trust this task's own pace over the history.
        elapsed = (now - task.indexing_started_at).total_seconds()
        remaining = elapsed * (1.0 - fraction) / fraction
    else:
        remaining = task.duration * indexing_rate() * (1.0 - fraction)
    remaining = round(max(0.0, remaining), 1)
    return remaining, now + timedelta(seconds=remaining)


def task_counts(index: Index) -> dict[str, int]:
    counts = dict.fromkeys(TaskStatus.values, 0)
    for row in index.tasks.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


@dataclass(frozen=True)
class TaskProgress:
    """What a task shows: never work nobody is doing."""

    status: str
    percentage: float
    stage: str
    remain_seconds: float | None
    estimated_time: datetime | None
    waiting_to_resume: bool


def task_progress(task: Task, *, now: datetime | None = None) -> TaskProgress:
    """The task's status and progress as clients see them.

    A task whose worker died mid-index shows `queued` at 0 % with no ETA (it is waiting
    to resume: the maintenance job hands it to another worker, which starts over) rather
    than the dead attempt's "indexing 24 %"; one that died validating stays `validating`.
    """
    now = now or timezone.now()
    if task_waiting_to_resume(task, now=now):
        status = TaskStatus.QUEUED if task.status == TaskStatus.INDEXING else task.status
        return TaskProgress(status, 0.0, "", None, None, True)
    remain, finish = task_eta(task, now=now)
    return TaskProgress(task.status, round(task.progress, 1), task.stage, remain, finish, False)
