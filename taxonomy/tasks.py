"""django-q2 entry points. Adapters only: they take an id and call the worker side."""

from __future__ import annotations

from taxonomy import runs


def classify_run(run_id: str) -> None:
    runs.run_execute(run_id=run_id)


def maintenance() -> dict[str, int]:
    """Scheduled every minute: rescues runs whose worker died."""
    return runs.runs_recover_stale()
