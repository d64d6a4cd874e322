"""The library's job kinds: validating and indexing tasks, generation jobs (see core/jobs.py)."""

from __future__ import annotations

from django.db import transaction

from core import jobs
from library import storage
from library.models import Asset, AssetStatus, GeneratedText, GenerationStatus, Task, TaskStatus, Video
from library.models.tasks import task_upload_path
from library.webhooks import events as webhook_events
from library.webhooks.delivery import DELIVERY


def _remove_own_unready_video(task: Task) -> None:
    """A failed task takes along the video it created, if that never became ready.

    "Created" is read from the data: the task's own upload became the video's file. A
    duplicate task points at another task's video (another file) and a re-index task at
    a ready video; neither is touched.
    """
    current = Task.objects.filter(pk=task.pk).values_list("video_id", "upload").first()
    if current is None or current[0] is None or not current[1]:
        return
    Video.objects.filter(id=current[0], indexed_at__isnull=True, file=current[1]).delete()


def _remove_unrecorded_download(task: Task) -> None:
    """A URL task that fails with no upload recorded may still have a file: a worker killed
    between storing its download and recording it. It is under the task's own upload path (the
    download's name is predictable, library/intake.py); removed once the failure is committed."""
    if not task.source_url or Task.objects.filter(pk=task.pk).exclude(upload="").exists():
        return
    name = task_upload_path(task, "")
    transaction.on_commit(lambda: storage.delete_quietly(name))


def _task_failed(task: Task) -> None:
    """Inside the failing transaction: the event is written with the status (library/webhooks)."""
    webhook_events.task_finished(task.pk)
    _remove_own_unready_video(task)
    _remove_unrecorded_download(task)


# Work restarts from the beginning on a resume, so the progress of the dead attempt goes.
_RESET_PROGRESS = {"progress": 0.0, "stage": ""}

VALIDATION: jobs.JobKind[Task] = jobs.JobKind(
    name="validation",
    title="Validation",
    model=Task,
    function="library.tasks.validate_task",
    waiting=(TaskStatus.VALIDATING,),
    running=TaskStatus.VALIDATING,
    failed=TaskStatus.FAILED,
    crash_code="validation_failed",
    related=("index", "video"),
    reset=_RESET_PROGRESS,
    on_fail=_task_failed,
)

INDEXING: jobs.JobKind[Task] = jobs.JobKind(
    name="indexing",
    title="Indexing",
    model=Task,
    function="library.tasks.index_task",
    waiting=(TaskStatus.QUEUED, TaskStatus.PENDING),
    running=TaskStatus.INDEXING,
    failed=TaskStatus.FAILED,
    crash_code="indexing_failed",
    related=("index", "video"),
    reset=_RESET_PROGRESS,
    on_fail=_task_failed,
)

# A v1.3 asset: fetched (URL) or assembled (multipart), then decoded and checked once for every
# index it will be indexed into. `processing` is both its waiting and its running status.
ASSET_PREPARATION: jobs.JobKind[Asset] = jobs.JobKind(
    name="asset_preparation",
    title="Asset preparation",
    model=Asset,
    function="library.tasks.prepare_asset",
    waiting=(AssetStatus.PROCESSING,),
    running=AssetStatus.PROCESSING,
    failed=AssetStatus.FAILED,
    crash_code="asset_preparation_failed",
)

GENERATION: jobs.JobKind[GeneratedText] = jobs.JobKind(
    name="generation",
    title="Generation",
    model=GeneratedText,
    function="library.generation.tasks.run_generation",
    waiting=(GenerationStatus.PENDING,),
    running=GenerationStatus.RUNNING,
    failed=GenerationStatus.FAILED,
    crash_code="generation_failed",
    related=("video__index",),
    on_fail=lambda row: webhook_events.generation_finished(row.pk),
)


def register_all() -> None:
    for kind in (VALIDATION, INDEXING, ASSET_PREPARATION, GENERATION, DELIVERY):
        jobs.register(kind)
