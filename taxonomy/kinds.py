"""The taxonomy's job kind: classification runs (see core/jobs.py)."""

from __future__ import annotations

from enum import StrEnum

from core import jobs
from library.webhooks import events as webhook_events
from taxonomy.models import ClassificationRun, RunStatus


class RunEventType(StrEnum):
    """Taxonomy's webhook events, registered when the app is ready (core/event_types.py)."""

    RUN_FINISHED = "classification.run.finished"
    RUN_FAILED = "classification.run.failed"


def emit_run_event(run: ClassificationRun, status: str) -> None:
    """The run's final status is being written in the current transaction: tell the team's webhooks."""
    webhook_events.event_emit(
        team=run.index.team_id,
        type=RunEventType.RUN_FAILED if status == "failed" else RunEventType.RUN_FINISHED,
        subject=f"run:{run.pk}",
        data={
            "id": run.pk,
            "status": status,
            "taxonomy_id": run.taxonomy_id,
            "index_id": run.index_id,
            "error_code": run.error_code,
        },
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
