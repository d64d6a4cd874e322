"""The worker side of a classification run: claim, score every node, write labels, finish.

The run is a job of kind CLASSIFICATION (taxonomy/kinds.py) in the lifecycle of
core/jobs.py: a conditional claim (a re-delivered job finds the run taken and stops),
a lease renewed by a heartbeat while scoring and by every progress write, retries of
transient errors, and recovery of runs whose worker died by the one maintenance job.
Labels are upserts under the (video, node) constraint and a run rewrites exactly the
labels of its videos x its taxonomy, so running it twice leaves the same rows. Editors' decisions are never overwritten:

* a confirmed, rejected or hand-added label keeps its decision and origin; the run only
  refreshes its evidence (or clears it, when the model no longer finds the label);
* an undecided model label the run no longer finds is deleted.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import jobs
from library.models import Video
from search.public import index_matrices
from taxonomy.classify import ClassOnVideo, classify_videos
from taxonomy.kinds import CLASSIFICATION, emit_run_event
from taxonomy.models import ClassificationRun, LabelOrigin, RunStatus, TaxonomyNode, VideoLabel
from taxonomy.params import ClassSpec
from taxonomy.scoring import Thresholds

EVIDENCE_FIELDS = ["run", "score", "duration_ratio", "max_score", "avg_score", "normalized_score", "clips"]
# Share of the progress bar spent before labels are written (loading matrices, embedding, scoring).
SCORED_AT = 40.0


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
    *,
    run: ClassificationRun,
    video_id: str,
    nodes: list[TaxonomyNode],
    found: tuple[ClassOnVideo, ...],
    lease: jobs.Lease[ClassificationRun] | None = None,
) -> int:
    """Make the video's labels of the run's taxonomy match what the run found; returns labels kept.

    With `lease`, nothing is written unless the run is still the worker's (not cancelled,
    deleted or taken over).
    """
    by_node = {nodes[item.cls].id: item for item in found}
    with transaction.atomic():
        if lease is not None:
            lease.lock()
        # A video deleted while the run scored is skipped, not a failed run: the lock keeps it
        # from being deleted between this check and the label writes (its labels go with it).
        if not Video.objects.select_for_update().filter(id=video_id).exists():
            return 0
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


def run_execute(*, run_id: str, worker: str | None = None) -> None:
    lease = jobs.claim(CLASSIFICATION, run_id, worker=worker)
    if lease is None:
        return
    with lease:
        run = lease.row
        nodes, specs = node_specs(run)
        matrices = index_matrices(run.index_id)
        chosen: list[str] = list(run.video_ids or [])
        selected = [video_id for video_id in chosen if video_id in matrices.video_code] or None
        scope: list[str] = (selected or []) if chosen else list(matrices.videos)
        lease.renew(videos_total=len(scope), progress=5.0)
        thresholds = Thresholds(run.min_video_score, run.min_clip_score, run.min_duration_ratio)
        result = classify_videos(
            matrices, specs, thresholds, video_ids=selected if run.video_ids else None, with_clips=True
        )
        lease.renew(progress=SCORED_AT, skipped_options=result.skipped)
        found = {item.video_id: item.classes for item in result.videos}
        labels, last_report = 0, time.monotonic()
        for done, video_id in enumerate(scope, start=1):
            labels += write_video_labels(
                run=run, video_id=video_id, nodes=nodes, found=found.get(video_id, ()), lease=lease
            )
            if time.monotonic() - last_report >= 1.0 or done == len(scope):
                last_report = time.monotonic()
                progress = SCORED_AT + (100.0 - SCORED_AT) * done / max(len(scope), 1)
                lease.renew(videos_done=done, labels_written=labels, progress=min(progress, 99.0))
        with transaction.atomic():  # the webhook event commits with the status
            lease.complete(RunStatus.SUCCEEDED, progress=100.0, error_code="", error_message="")
            emit_run_event(run, RunStatus.SUCCEEDED)
