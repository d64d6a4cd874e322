"""The taxonomy's job kind: classification runs (see library/jobs.py)."""

from __future__ import annotations

from library import jobs
from taxonomy.models import ClassificationRun, RunStatus

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
)
