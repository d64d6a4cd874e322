"""django-q2 entry points. Adapters only: they take an id and call the worker side."""

from __future__ import annotations

from django.conf import settings

from core import jobs
from library import assets_worker, pipeline, storage
from library.webhooks.delivery import deliveries_due


def validate_task(task_id: str) -> None:
    pipeline.task_validate(task_id=task_id)


def index_task(task_id: str) -> None:
    pipeline.task_index(task_id=task_id)


def prepare_asset(asset_id: str) -> None:
    assets_worker.asset_prepare(asset_id=asset_id)


def maintenance() -> dict[str, int]:
    """Scheduled every minute: proves the cluster is alive and rescues every kind of abandoned job.

    The kinds are those registered with core/jobs.py (tasks, generation jobs, and the
    taxonomy's classification runs, registered from its AppConfig).
    """
    pipeline.worker_heartbeat()
    counts = jobs.recover_stale()
    counts["webhooks_due"] = deliveries_due()
    counts["uploads_expired"] = assets_worker.expire_uploads()
    # Local copies a killed worker could not remove (a live one holds its copy's lock).
    counts["local_copies_removed"] = storage.sweep_copies(older_than=settings.FRAMEWISE_TASK_LEASE_SECONDS)
    return counts
