"""Assets (Twelve Labs v1.3): a team's stored video, validated once, indexable into any of its indexes.

An asset is the file and what decoding it told us; an *indexed asset* is a `Video` of an
index that points at the asset (`Video.asset`) and shares its stored file. Analysing is
done per asset once: indexing the same asset into a second index copies the first
index's analysis (library/assets_worker.py) instead of running the engine again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models.jobs import JobRow
from core.models.teams import Team
from core.scoping import TeamScopedQuerySet
from library.models.common import new_object_id


class AssetStatus(models.TextChoices):
    # A multipart upload still receiving chunks; the API says `processing` (no job runs yet).
    UPLOADING = "uploading", "Uploading"
    PROCESSING = "processing", "Processing"  # stored or being fetched/assembled; not validated yet
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class AssetMethod(models.TextChoices):
    DIRECT = "direct", "Direct upload"
    URL = "url", "URL"
    MULTIPART = "multipart", "Multipart upload"


def asset_upload_path(instance: Asset, filename: str) -> str:
    # No extension from the client's name: the worker renames the file after the container it decoded.
    return f"assets/{instance.team_id}/{instance.id}"


class Asset(JobRow):
    """A stored video of a team; the worker's `asset preparation` job (library/kinds.py) validates it.

    `processing` is both the waiting and the running status of the job (like a task's `validating`).
    """

    team_path = "team"
    objects = TeamScopedQuerySet["Asset"].as_manager()

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assets")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    method = models.CharField(max_length=10, choices=AssetMethod.choices)
    status = models.CharField(max_length=12, choices=AssetStatus.choices, default=AssetStatus.PROCESSING, db_index=True)
    filename = models.CharField(max_length=500, blank=True, db_index=True)
    source_url = models.URLField(max_length=2000, blank=True)
    file = models.FileField(max_length=500, blank=True)
    file_type = models.CharField(max_length=100, blank=True)  # MIME type of what was decoded
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)
    user_metadata = models.JSONField(default=dict, blank=True)
    # What decoding found (set when ready), copied onto each Video the asset becomes.
    duration = models.FloatField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    container = models.CharField(max_length=100, blank=True)
    video_codec = models.CharField(max_length=50, blank=True)
    audio_codec = models.CharField(max_length=50, blank=True)
    has_audio = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["team", "created_at"], name="asset_team_created")]

    def __str__(self) -> str:
        return self.filename or self.id


class UploadStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class MultipartUpload(models.Model):
    """An asset arriving in chunks: each chunk is PUT to its own signed URL, then reported done."""

    team_path = "asset__team"
    objects = TeamScopedQuerySet["MultipartUpload"].as_manager()

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="multipart_upload")
    total_size = models.BigIntegerField()
    chunk_size = models.PositiveIntegerField()
    total_chunks = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=UploadStatus.choices, default=UploadStatus.ACTIVE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"upload {self.id} of {self.asset_id}"


class UploadChunk(models.Model):
    """One received chunk (1-based `chunk_index`), stored as its own file until the asset is assembled."""

    team_path = "upload__asset__team"
    objects = TeamScopedQuerySet["UploadChunk"].as_manager()

    upload = models.ForeignKey(MultipartUpload, on_delete=models.CASCADE, related_name="chunks")
    chunk_index = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    etag = models.CharField(max_length=64)  # MD5 hex of the bytes, as S3 answers it
    file = models.FileField(max_length=500)
    reported = models.BooleanField(default=False)  # the client reported it in completed_chunks
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["chunk_index"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "chunk_index"], name="upload_chunk_unique_index"),
        ]
