"""The worker side of a task: validate, then index. Entry points take a task id only.

Claiming is a conditional UPDATE, so of two workers handed the same id (django-q2
re-delivers a job whose worker vanished) exactly one proceeds. A claim is a lease kept
alive by `heartbeat_at`; `tasks_recover_stale` finds leases nobody renewed and resumes
or fails those tasks, so no task stays active after a crash. Results are written in
one transaction that replaces what a previous attempt may have left, which makes a
repeated run harmless.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from engines import get_engine
from engines.base import EngineError, MediaProbe
from library import intake, services, storage
from library.indexing import store_analysis
from library.models import Task, TaskStatus, Video, WorkerHeartbeat

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class LostClaim(Exception):
    """Another worker took the task over (our lease expired); stop without writing."""


def _claim(task_id: str, *, claimable: Sequence[str], running: str, worker: str) -> Task | None:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS)
    claimed = (
        Task.objects.filter(id=task_id)
        .filter(Q(status__in=claimable, claimed_by="") | Q(status__in=[*claimable, running], heartbeat_at__lt=stale))
        .update(status=running, claimed_by=worker, heartbeat_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if claimed != 1:
        logger.info("task %s: not claimable (already done or held by another worker)", task_id)
        return None
    return Task.objects.select_related("index", "video").get(id=task_id)


def _fail(task: Task, code: str, message: str, *, worker: str) -> None:
    with transaction.atomic():
        updated = Task.objects.filter(id=task.id, claimed_by=worker).update(
            status=TaskStatus.FAILED,
            error_code=code,
            error_message=message,
            claimed_by="",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if updated and task.video_id:
            # A video that never became ready goes; a re-indexed ready video keeps its old data.
            Video.objects.filter(id=task.video_id, indexed_at__isnull=True).delete()
    logger.warning("task %s failed: %s: %s", task.id, code, message)


def _release_for_retry(task: Task, status: str, error: EngineError, *, worker: str) -> None:
    """A transient error: give the task back and enqueue it again, up to the attempt limit."""
    if task.attempts >= settings.FRAMEWISE_TASK_MAX_ATTEMPTS:
        _fail(task, error.code, f"{error.message} (gave up after {task.attempts} attempts)", worker=worker)
        return
    with transaction.atomic():
        Task.objects.filter(id=task.id, claimed_by=worker).update(
            status=status, claimed_by="", heartbeat_at=None, error_message=error.message, updated_at=timezone.now()
        )
        if status == TaskStatus.VALIDATING:
            services.enqueue_validation(task)
        else:
            services.enqueue_indexing(task)


# --- Validation -----------------------------------------------------------------------------


def _check_limits(probe: MediaProbe) -> None:
    if probe.duration < settings.FRAMEWISE_MIN_DURATION:
        raise EngineError(
            f"The video is {probe.duration:.1f}s long; videos must be at least {settings.FRAMEWISE_MIN_DURATION:g}s.",
            permanent=True,
            code="video_duration_too_short",
        )
    if probe.duration > settings.FRAMEWISE_MAX_DURATION:
        raise EngineError(
            f"The video is {probe.duration:.0f}s long; the limit is {settings.FRAMEWISE_MAX_DURATION:g}s.",
            permanent=True,
            code="video_duration_too_long",
        )
    if min(probe.width, probe.height) < settings.FRAMEWISE_MIN_SIDE:
        raise EngineError(
            f"The video is {probe.width}x{probe.height}; its shorter side must be at least "
            f"{settings.FRAMEWISE_MIN_SIDE} pixels.",
            permanent=True,
            code="video_resolution_too_low",
        )
    if max(probe.width, probe.height) > settings.FRAMEWISE_MAX_SIDE:
        raise EngineError(
            f"The video is {probe.width}x{probe.height}; its longer side must be at most "
            f"{settings.FRAMEWISE_MAX_SIDE} pixels.",
            permanent=True,
            code="video_resolution_too_high",
        )


def task_validate(*, task_id: str, worker: str = WORKER_ID) -> None:
    task = _claim(task_id, claimable=[TaskStatus.VALIDATING], running=TaskStatus.VALIDATING, worker=worker)
    if task is None:
        return
    try:
        if task.source_url and not task.upload:
            intake.download_source(task)
        with storage.local_copy(task.upload.name) as path:
            probe = get_engine().probe(path)
        _check_limits(probe)
        intake.name_by_container(task, probe)
    except EngineError as error:
        if error.permanent:
            _fail(task, error.code, error.message, worker=worker)
        else:
            _release_for_retry(task, TaskStatus.VALIDATING, error, worker=worker)
        return
    _create_video(task, probe, worker=worker)


def _create_video(task: Task, probe: MediaProbe, *, worker: str) -> None:
    video = Video(
        index=task.index,
        file=task.upload.name,
        filename=task.filename,
        sha256=task.sha256,
        duration=probe.duration,
        fps=probe.fps,
        width=probe.width,
        height=probe.height,
        size=probe.size,
        container=probe.container,
        video_codec=probe.video_codec,
        audio_codec=probe.audio_codec,
        has_audio=probe.has_audio,
    )
    try:
        with transaction.atomic():
            video.save()
            # pending (valid, video recorded) and queued (job handed over) happen together:
            # the job is enqueued on commit of this very transaction.
            updated = Task.objects.filter(id=task.id, claimed_by=worker).update(
                video=video,
                status=TaskStatus.QUEUED,
                claimed_by="",
                heartbeat_at=None,
                attempts=0,  # attempts count per phase: indexing gets its own tries
                duration=probe.duration,
                width=probe.width,
                height=probe.height,
                progress=0.0,
                updated_at=timezone.now(),
            )
            if updated != 1:
                raise LostClaim(task.id)
            services.enqueue_indexing(task)
    except IntegrityError:
        existing = Video.objects.filter(index=task.index, sha256=task.sha256).first()
        Task.objects.filter(id=task.id).update(video=existing)
        _fail(
            task,
            "video_already_exists",
            f"This file is already in the index as video {existing.id if existing else '?'} "
            f"({existing.filename if existing else ''}); it was not indexed twice.",
            worker=worker,
        )
        if not Video.objects.filter(file=task.upload.name).exists():
            upload = task.upload.name
            Task.objects.filter(id=task.id).update(upload="")
            transaction.on_commit(lambda: storage.delete_quietly(upload))
    except LostClaim:
        logger.info("task %s: lost its claim during validation", task.id)


# --- Indexing -------------------------------------------------------------------------------

# Relative cost of each stage, used to turn per-stage fractions into one percentage.
STAGE_WEIGHTS = {"decode": 4.0, "speech": 3.0, "ocr": 2.0, "visual": 2.0, "embed": 1.0}


class ProgressReporter:
    """Turns the engine's per-stage fractions into the task's percentage and renews the lease."""

    def __init__(self, task: Task, *, worker: str, stages: Sequence[str], min_interval: float = 1.0) -> None:
        self.task = task
        self.worker = worker
        self.fractions = dict.fromkeys(stages, 0.0)
        self.min_interval = min_interval
        self._last_write = 0.0
        self.percentage = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        self.fractions[stage] = max(self.fractions.get(stage, 0.0), min(1.0, max(0.0, fraction)))
        total = sum(STAGE_WEIGHTS.get(s, 1.0) for s in self.fractions)
        done = sum(STAGE_WEIGHTS.get(s, 1.0) * f for s, f in self.fractions.items())
        # 99 at most: 100 means stored and searchable, which only the final write says.
        self.percentage = max(self.percentage, round(min(99.0, 100.0 * done / total), 1))
        now = time.monotonic()
        if now - self._last_write >= self.min_interval:
            self._last_write = now
            self.write(stage)

    def write(self, stage: str) -> None:
        updated = Task.objects.filter(id=self.task.id, claimed_by=self.worker).update(
            progress=self.percentage, stage=stage, heartbeat_at=timezone.now(), updated_at=timezone.now()
        )
        if updated != 1:
            raise LostClaim(self.task.id)


def expected_stages(options: frozenset[str]) -> list[str]:
    stages = ["decode", "embed"]
    if "conversation" in options:
        stages.append("speech")
    if options & {"text_in_video", "logo"}:
        stages.append("ocr")
    if "visual" in options:
        stages.append("visual")
    return stages


def task_index(*, task_id: str, worker: str = WORKER_ID) -> None:
    task = _claim(
        task_id, claimable=[TaskStatus.QUEUED, TaskStatus.PENDING], running=TaskStatus.INDEXING, worker=worker
    )
    if task is None:
        return
    video = task.video
    if video is None:
        _fail(task, "video_deleted", "The video was deleted before it could be indexed.", worker=worker)
        return
    Task.objects.filter(id=task.id).update(indexing_started_at=timezone.now())
    options = task.index.options
    reporter = ProgressReporter(task, worker=worker, stages=expected_stages(options))
    probe = MediaProbe(
        duration=video.duration,
        fps=video.fps,
        width=video.width,
        height=video.height,
        size=video.size,
        container=video.container,
        video_codec=video.video_codec,
        audio_codec=video.audio_codec,
        has_audio=video.has_audio,
    )
    engine = get_engine()
    try:
        with storage.local_copy(video.file.name) as path:
            analysis = engine.analyze(
                path, probe=probe, options=options, thumbnails=task.index.wants_thumbnails, progress=reporter
            )
        store_analysis(task=task, video=video, analysis=analysis, engine_name=engine.name, worker=worker)
    except LostClaim:
        logger.info("task %s: another worker took over; stopping", task.id)
    except EngineError as error:
        if error.permanent:
            _fail(task, error.code, error.message, worker=worker)
        else:
            _release_for_retry(task, TaskStatus.QUEUED, error, worker=worker)
    except Exception as exc:  # a bug or an unexpected library error: fail visibly, never hang
        logger.exception("task %s: indexing crashed", task.id)
        _fail(
            task, "indexing_failed", f"Indexing failed unexpectedly ({exc.__class__.__name__}: {exc}).", worker=worker
        )


# --- Recovery ---------------------------------------------------------------------------------


def tasks_recover_stale(*, now: timezone.datetime | None = None) -> dict[str, int]:
    """Resume or fail active tasks whose worker stopped renewing its lease.

    Also catches tasks whose enqueue was lost (never claimed for a whole lease).
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS)
    counts = {"resumed": 0, "failed": 0}
    abandoned = Task.objects.filter(
        Q(status__in=[TaskStatus.VALIDATING, TaskStatus.INDEXING], heartbeat_at__lt=stale)
        | Q(
            status__in=[TaskStatus.VALIDATING, TaskStatus.QUEUED, TaskStatus.PENDING],
            claimed_by="",
            updated_at__lt=stale,
        )
    )
    for task in abandoned:
        resume_status = TaskStatus.VALIDATING if task.status == TaskStatus.VALIDATING else TaskStatus.QUEUED
        if task.attempts >= settings.FRAMEWISE_TASK_MAX_ATTEMPTS:
            message = f"The worker stopped responding during {task.status} ({task.attempts} attempts); giving up."
            with transaction.atomic():
                if Task.objects.filter(id=task.id, status=task.status, updated_at=task.updated_at).update(
                    status=TaskStatus.FAILED,
                    error_code="worker_lost",
                    error_message=message,
                    claimed_by="",
                    finished_at=now,
                    updated_at=now,
                ):
                    Video.objects.filter(id=task.video_id, indexed_at__isnull=True).delete()
                    counts["failed"] += 1
            continue
        with transaction.atomic():
            # Conditional on the row being unchanged since we read it: a worker that
            # wakes up and writes in between wins, and we leave the task alone.
            if Task.objects.filter(id=task.id, status=task.status, updated_at=task.updated_at).update(
                status=resume_status, claimed_by="", heartbeat_at=None, updated_at=now
            ):
                if resume_status == TaskStatus.VALIDATING:
                    services.enqueue_validation(task)
                else:
                    services.enqueue_indexing(task)
                counts["resumed"] += 1
    return counts


def worker_heartbeat(*, name: str = "cluster") -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
