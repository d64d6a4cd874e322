"""django-q2 entry points. Adapters only: they take an id and call the pipeline."""

from __future__ import annotations

from library import pipeline


def validate_task(task_id: str) -> None:
    pipeline.task_validate(task_id=task_id)


def index_task(task_id: str) -> None:
    pipeline.task_index(task_id=task_id)


def maintenance() -> dict[str, int]:
    """Scheduled every minute: proves the cluster is alive and rescues abandoned tasks."""
    pipeline.worker_heartbeat()
    return pipeline.tasks_recover_stale()
