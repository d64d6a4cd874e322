"""The taxonomy's job kind: classification runs (see library/jobs.py)."""

from __future__ import annotations

from library import jobs
from library.webhooks import events as webhook_events
from taxonomy.models import ClassificationRun, RunStatus


def emit_run_event(run: ClassificationRun, status: str) -> None:
    """The run's final status is being written in the current transaction: tell the team's webhooks."""
    webhook_events.run_finished(
        team_id=run.index.team_id,
        run_id=run.pk,
        status=status,
        data={"taxonomy_id": run.taxonomy_id, "index_id": run.index_id, "error_code": run.error_code},
    )


CLASSIFICATION: jobs.JobKind[ClassificationRun] = jobs.JobKind(
    name="classification",
    title="Classification",
    model=ClassificationRun,
    function="taxonomy.tasks.classify_run",
    waiting=(RunStatus.QUEUED,),
    running=RunStatus.RUNNING,
    failed=RunStatus.FAILED,
    crash_code="classification_failed",
    related=("taxonomy", "index"),
    reset={"progress": 0.0},
    on_fail=lambda run: emit_run_event(run, RunStatus.FAILED),
)
