from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models.jobs import JobRow
from core.scoping import TeamScopedQuerySet
from library.models.common import new_object_id
from library.models.indexes import Index, Video


class TaskStatus(models.TextChoices):
    # The Twelve Labs life cycle, and what each step means here:
    VALIDATING = "validating", "Validating"  # received; being fetched/decoded/checked
    PENDING = "pending", "Pending"  # valid; a Video exists; waiting to be queued
    QUEUED = "queued", "Queued"  # indexing job handed to the workers
    INDEXING = "indexing", "Indexing"  # a worker is running the engine
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (TaskStatus.VALIDATING, TaskStatus.PENDING, TaskStatus.QUEUED, TaskStatus.INDEXING)
TERMINAL_STATUSES = (TaskStatus.READY, TaskStatus.FAILED)


class TaskSource(models.TextChoices):
    UPLOAD = "upload", "File upload"
    URL = "url", "URL"
    FOLDER = "folder", "Folder import"
    ASSET = "asset", "Asset"  # a v1.3 asset indexed into an index: validated already, indexing only


def task_upload_path(instance: Task, filename: str) -> str:
    # No extension from the client's name: the worker gives the file the extension of the
    # container it decodes (library/mediatypes.py), which alone decides the served type.
    return f"uploads/{instance.index_id}/{instance.id}"


class Task(JobRow):
    """Our job row for getting one video into an index; the API's `task` object.

    Two job kinds share the row (library/kinds.py): validation (`validating`) and
    indexing (`queued`/`pending` -> `indexing`). Workers claim it and keep the lease
    alive through core/jobs.py, so a task whose worker died is found and resumed or
    failed, never left in an active state.
    """

    team_path = "index__team"
    objects = TeamScopedQuerySet["Task"].as_manager()

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="tasks")
    video = models.ForeignKey(Video, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=10, choices=TaskSource.choices, default=TaskSource.UPLOAD)
    source_url = models.URLField(max_length=2000, blank=True)
    upload = models.FileField(max_length=500, blank=True)
    filename = models.CharField(max_length=500, blank=True, db_index=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)
    # Given with the upload (v1.3 `tasks`): the video it becomes starts with this metadata.
    user_metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=TaskStatus.choices, default=TaskStatus.VALIDATING, db_index=True)
    stage = models.CharField(max_length=30, blank=True)
    progress = models.FloatField(default=0.0)
    # Metadata known after validation, shown on the task before the video is ready.
    duration = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    indexing_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["index", "status"], name="task_index_status")]

    def __str__(self) -> str:
        return f"{self.filename or self.source_url} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status in TERMINAL_STATUSES


class WorkerHeartbeat(models.Model):
    """Written by a scheduled job in the worker cluster; /healthz reads it."""

    name = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()
