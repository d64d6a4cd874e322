"""django-q2 entry points. Adapters only: they take an id and call the worker side.

Stale runs are recovered by library's one maintenance job (library/tasks.py), which
covers every job kind registered with core/jobs.py.
"""

from __future__ import annotations

from taxonomy import runs


def classify_run(run_id: str) -> None:
    runs.run_execute(run_id=run_id)
