"""The worker side of a classification run: claim, score every node, write labels, finish.

Claiming is a conditional UPDATE (a re-delivered job finds the run taken and stops); the
claim is a lease renewed with every progress write, and `runs_recover_stale` resumes or
fails runs whose worker died. Labels are upserts under the (video, node) constraint and
a run rewrites exactly the labels of its videos x its taxonomy, so running it twice
leaves the same rows. Editors' decisions are never overwritten:

* a confirmed, rejected or hand-added label keeps its decision and origin; the run only
  refreshes its evidence (or clears it, when the model no longer finds the label);
* an undecided model label the run no longer finds is deleted.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.errors import ApplicationError
from engines.base import EngineError
from library.search.matrix import index_matrices
from taxonomy.classify import ClassOnVideo, classify_videos
from taxonomy.models import ClassificationRun, LabelOrigin, RunStatus, TaxonomyNode, VideoLabel
from taxonomy.params import ClassSpec
from taxonomy.scoring import Thresholds
from taxonomy.services import enqueue_run

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
EVIDENCE_FIELDS = ["run", "score", "duration_ratio", "max_score", "avg_score", "normalized_score", "clips"]
# Share of the progress bar spent before labels are written (loading matrices, embedding, scoring).
SCORED_AT = 40.0


class LostClaim(Exception):
    """Another worker took the run over (our lease expired): stop without writing."""


def _claim(run_id: str, *, worker: str) -> ClassificationRun | None:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS)
    claimed = (
        ClassificationRun.objects.filter(id=run_id)
        .filter(
            Q(status=RunStatus.QUEUED, claimed_by="")
            | Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], heartbeat_at__lt=stale)
        )
        .update(
            status=RunStatus.RUNNING,
            claimed_by=worker,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", now),
            updated_at=now,
        )
    )
    if claimed != 1:
        logger.info("classification run %s: not claimable (done, or held by another worker)", run_id)
        return None
    return ClassificationRun.objects.select_related("taxonomy", "index").get(id=run_id)


def _report(run: ClassificationRun, *, worker: str, **fields: Any) -> None:
    """Write progress and renew the lease; a lost claim stops the run before it writes labels."""
    now = timezone.now()
    if not ClassificationRun.objects.filter(id=run.id, claimed_by=worker).update(
        heartbeat_at=now, updated_at=now, **fields
    ):
        raise LostClaim(run.id)


def _finish(run: ClassificationRun, status: str, *, worker: str, **fields: Any) -> None:
    now = timezone.now()
    ClassificationRun.objects.filter(id=run.id, claimed_by=worker).update(
        status=status, claimed_by="", finished_at=now, updated_at=now, **fields
    )


def node_specs(run: ClassificationRun) -> tuple[list[TaxonomyNode], list[ClassSpec]]:
    """The run's active nodes, parents first, as classes whose parent is the nearest active ancestor."""
    every = {node.id: node for node in run.taxonomy.nodes.all()}
    nodes = sorted((node for node in every.values() if node.active), key=lambda node: node.path)
    position = {node.id: number for number, node in enumerate(nodes)}
    available = set(run.options)
    specs = []
    for node in nodes:
        parent_id = node.parent_id
        while parent_id is not None and parent_id not in position:
            parent_id = every[parent_id].parent_id
        specs.append(
            ClassSpec(
                name=node.name,
                prompts=tuple(dict.fromkeys(node.effective_prompts)),
                options=tuple(option for option in node.options if option in available) or tuple(run.options),
                conversation_option=run.conversation_option,
                parent=position[parent_id] if parent_id is not None else -1,
            )
        )
    return nodes, specs


def _evidence(found: ClassOnVideo) -> dict[str, Any]:
    return {
        "score": found.score,
        "duration_ratio": found.duration_ratio,
        "max_score": found.max_score,
        "avg_score": found.avg_score,
        "normalized_score": found.normalized_score,
        "clips": [
            {"start": c.start, "end": c.end, "score": c.score, "option": c.option, "prompt": c.prompt}
            for c in found.clips
        ],
    }


def write_video_labels(
    *, run: ClassificationRun, video_id: str, nodes: list[TaxonomyNode], found: tuple[ClassOnVideo, ...]
) -> int:
    """Make the video's labels of the run's taxonomy match what the run found; returns labels kept."""
    by_node = {nodes[item.cls].id: item for item in found}
    with transaction.atomic():
        existing = {
            label.node_id: label
            for label in VideoLabel.objects.select_for_update().filter(
                video_id=video_id, node__taxonomy_id=run.taxonomy_id
            )
        }
        created = [
            VideoLabel(
                video_id=video_id,
                node_id=node_id,
                run=run,
                origin=LabelOrigin.ROLLUP if item.implied else LabelOrigin.MODEL,
                **_evidence(item),
            )
            for node_id, item in by_node.items()
            if node_id not in existing
        ]
        # A concurrent run of the same taxonomy may have inserted the row meanwhile: update it.
        VideoLabel.objects.bulk_create(
            created, update_conflicts=True, unique_fields=["video", "node"], update_fields=EVIDENCE_FIELDS
        )
        changed, gone, unsupported = [], [], 0
        for node_id, label in existing.items():
            item = by_node.get(node_id)
            if item is not None:
                for name, value in _evidence(item).items():
                    setattr(label, name, value)
                if label.origin != LabelOrigin.EDITOR:
                    label.origin = LabelOrigin.ROLLUP if item.implied else LabelOrigin.MODEL
            elif label.is_editor_decided:
                # The decision stands; the model simply no longer supports the label.
                label.score = label.duration_ratio = label.max_score = label.avg_score = None
                label.normalized_score = None
                label.clips = []
                unsupported += 1
            else:
                gone.append(label.id)
                continue
            label.run = run
            label.updated_at = timezone.now()
            changed.append(label)
        VideoLabel.objects.bulk_update(changed, [*EVIDENCE_FIELDS, "origin", "updated_at"])
        VideoLabel.objects.filter(id__in=gone).delete()
    return len(by_node) + unsupported


def run_execute(*, run_id: str, worker: str = WORKER_ID) -> None:
    run = _claim(run_id, worker=worker)
    if run is None:
        return
    try:
        nodes, specs = node_specs(run)
        matrices = index_matrices(run.index_id)
        selected = [video_id for video_id in run.video_ids if video_id in matrices.video_code] or None
        scope = selected if run.video_ids else list(matrices.videos)
        _report(run, worker=worker, videos_total=len(scope), progress=5.0)
        thresholds = Thresholds(run.min_video_score, run.min_clip_score, run.min_duration_ratio)
        result = classify_videos(
            matrices, specs, thresholds, video_ids=selected if run.video_ids else None, with_clips=True
        )
        _report(run, worker=worker, progress=SCORED_AT, skipped_options=result.skipped)
        found = {item.video_id: item.classes for item in result.videos}
        labels, last_report = 0, time.monotonic()
        for done, video_id in enumerate(scope, start=1):
            labels += write_video_labels(run=run, video_id=video_id, nodes=nodes, found=found.get(video_id, ()))
            if time.monotonic() - last_report >= 1.0 or done == len(scope):
                last_report = time.monotonic()
                progress = SCORED_AT + (100.0 - SCORED_AT) * done / max(len(scope), 1)
                _report(run, worker=worker, videos_done=done, labels_written=labels, progress=min(progress, 99.0))
        _finish(run, RunStatus.SUCCEEDED, worker=worker, progress=100.0, error_code="", error_message="")
    except LostClaim:
        logger.info("classification run %s: another worker took over; stopping", run.id)
    except ApplicationError as error:
        _finish(run, RunStatus.FAILED, worker=worker, error_code=error.code, error_message=error.message)
    except EngineError as error:
        if error.permanent or run.attempts >= settings.FRAMEWISE_TASK_MAX_ATTEMPTS:
            _finish(run, RunStatus.FAILED, worker=worker, error_code=error.code, error_message=error.message)
        else:
            _release_for_retry(run, error, worker=worker)
    except Exception as exc:  # a bug or an unexpected library error: fail visibly, never hang
        logger.exception("classification run %s crashed", run.id)
        _finish(
            run,
            RunStatus.FAILED,
            worker=worker,
            error_code="classification_failed",
            error_message=f"Classification failed unexpectedly ({exc.__class__.__name__}: {exc}).",
        )


def _release_for_retry(run: ClassificationRun, error: EngineError, *, worker: str) -> None:
    with transaction.atomic():
        if ClassificationRun.objects.filter(id=run.id, claimed_by=worker).update(
            status=RunStatus.QUEUED, claimed_by="", heartbeat_at=None, error_message=error.message
        ):
            enqueue_run(run)


def runs_recover_stale(*, now: Any = None) -> dict[str, int]:
    """Re-queue runs whose worker stopped renewing its lease (or whose job was lost).

    After the attempt limit a run fails with `worker_lost` instead.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS)
    counts = {"resumed": 0, "failed": 0}
    abandoned = ClassificationRun.objects.filter(
        Q(status=RunStatus.RUNNING, heartbeat_at__lt=stale) | Q(status=RunStatus.QUEUED, updated_at__lt=stale)
    )
    for run in abandoned:
        unchanged = ClassificationRun.objects.filter(id=run.id, status=run.status, updated_at=run.updated_at)
        with transaction.atomic():
            if run.attempts >= settings.FRAMEWISE_TASK_MAX_ATTEMPTS:
                if unchanged.update(
                    status=RunStatus.FAILED,
                    claimed_by="",
                    error_code="worker_lost",
                    error_message=f"The worker stopped responding ({run.attempts} attempts); giving up.",
                    finished_at=now,
                    updated_at=now,
                ):
                    counts["failed"] += 1
            elif unchanged.update(status=RunStatus.QUEUED, claimed_by="", heartbeat_at=None, updated_at=now):
                enqueue_run(run)
                counts["resumed"] += 1
    return counts
