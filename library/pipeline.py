"""The worker side of a task: validate, then index. Entry points take a task id only.

Both phases are job kinds of core/jobs.py (library/kinds.py): the claim is a
conditional UPDATE, so of two deliveries of the same id exactly one proceeds; a
heartbeat keeps the lease alive through long engine calls; transient errors are
retried, others fail the task with a reason; the maintenance job resumes a task whose
worker died. Results are written in one transaction that holds the claim and replaces
what a previous attempt may have left, which makes a repeated run harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import jobs
from engines.base import MediaProbe
from library import intake, intake_policy, storage
from library.engine import get_engine
from library.indexing import copy_analysis, reusable_analysis, store_analysis
from library.kinds import INDEXING, VALIDATION
from library.models import Task, TaskStatus, Video, WorkerHeartbeat

logger = logging.getLogger(__name__)


# --- Validation -----------------------------------------------------------------------------


def task_validate(*, task_id: str, worker: str | None = None) -> None:
    lease = jobs.claim(VALIDATION, task_id, worker=worker)
    if lease is None:
        return
    with lease:
        task = lease.row
        if task.source_url and not task.upload:
            intake.download_source(task, lease)
        intake.settle_upload(task)  # a resumed task: finish what a killed attempt was moving
        with storage.local_copy(task.upload.name or "") as path:
            probe = get_engine().probe(path)
        intake_policy.check_probe(probe)
        intake.name_by_container(task, probe, lease)
        _create_video(task, probe, lease)


def _create_video(task: Task, probe: MediaProbe, lease: jobs.Lease[Task]) -> None:
    video = intake_policy.video_from_probe(index=task.index, task=task, probe=probe)
    video.user_metadata = task.user_metadata or {}
    try:
        with transaction.atomic():
            video.save()
            # pending (valid, video recorded) and queued (job handed over) happen together:
            # the job is enqueued on commit of this very transaction. A lost claim rolls both back.
            lease.hand_over(
                TaskStatus.QUEUED,
                video=video,
                attempts=0,  # attempts count per phase: indexing gets its own tries
                duration=probe.duration,
                width=probe.width,
                height=probe.height,
                progress=0.0,
            )
            jobs.enqueue(INDEXING, task.id)
    except IntegrityError:
        existing = Video.objects.filter(index=task.index, sha256=task.sha256).first()
        # The task points at the other video so clients can find it; it never owns it
        # (library/kinds.py), so failing or retrying this task leaves that video alone.
        lease.mine().update(video=existing)
        lease.fail(
            "video_already_exists",
            f"This file is already in the index as video {existing.id if existing else '?'} "
            f"({existing.filename if existing else ''}); it was not indexed twice.",
        )
        if not Video.objects.filter(file=task.upload.name).exists():
            upload = task.upload.name
            Task.objects.filter(id=task.id).update(upload="")
            transaction.on_commit(lambda: storage.delete_quietly(upload))


# --- Indexing -------------------------------------------------------------------------------

# Relative cost of each stage, used to turn per-stage fractions into one percentage.
STAGE_WEIGHTS = {"decode": 4.0, "speech": 3.0, "ocr": 2.0, "visual": 2.0, "embed": 1.0}


class ProgressReporter:
    """Turns the engine's per-stage fractions into the task's percentage, written with the lease."""

    def __init__(self, lease: jobs.Lease[Task], *, stages: Sequence[str], min_interval: float = 1.0) -> None:
        self.lease = lease
        self.fractions = dict.fromkeys(stages, 0.0)
        self.min_interval = min_interval
        self._last_write = 0.0
        self.percentage = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        self.lease.check()  # the heartbeat found the task cancelled or taken over: stop now
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
        self.lease.renew(progress=self.percentage, stage=stage)


def expected_stages(options: frozenset[str]) -> list[str]:
    stages = ["decode", "embed"]
    if "conversation" in options:
        stages.append("speech")
    if options & {"text_in_video", "logo"}:
        stages.append("ocr")
    if "visual" in options:
        stages.append("visual")
    return stages


def task_index(*, task_id: str, worker: str | None = None) -> None:
    lease = jobs.claim(INDEXING, task_id, worker=worker)
    if lease is None:
        return
    with lease:
        task = lease.row
        video = task.video
        if video is None:
            lease.fail("video_deleted", "The video was deleted before it could be indexed.")
            return
        options = task.index.options
        engine = get_engine()
        source = reusable_analysis(video, options, engine_name=engine.name, thumbnails=task.index.wants_thumbnails)
        if source is not None:
            copy_analysis(lease=lease, video=video, source=source, options=options)
            return
        lease.renew(indexing_started_at=timezone.now())
        reporter = ProgressReporter(lease, stages=expected_stages(options))
        probe = intake_policy.probe_of(video)
        with storage.local_copy(video.file.name or "") as path:
            analysis = engine.analyze(
                path,
                probe=probe,
                options=options,
                thumbnails=task.index.wants_thumbnails,
                progress=reporter,
                language=task.language,
            )
        store_analysis(lease=lease, video=video, analysis=analysis, engine_name=engine.name)


def worker_heartbeat(*, name: str = "cluster") -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
