from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models

from core.models.jobs import JobRow
from core.scoping import TeamScopedQuerySet
from library.models.indexes import Video


class GenerationKind(models.TextChoices):
    GIST = "gist", "Title, topics and hashtags"
    SUMMARY = "summary", "Summary"
    CHAPTER = "chapter", "Chapters"
    HIGHLIGHT = "highlight", "Highlights"
    TEXT = "text", "Answer to a prompt"


class GenerationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def request_key(*, prompt: str, params: dict[str, Any]) -> str:
    """Names a request: the same prompt and parameters give the same key."""
    canonical = json.dumps({"prompt": prompt, "params": params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class GeneratedText(JobRow):
    """One generated result for a video, and the job row that produces it.

    The unique request (video, kind, provider, request_key) is what makes a repeated
    identical request an answer from the store; a regeneration rewrites the row with a
    new `generation_id`. Rows made by an editor's admin action start `pending` and a
    worker claims them; rows made by an API call are written `ready` at once.
    """

    team_path = "video__index__team"
    objects = TeamScopedQuerySet["GeneratedText"].as_manager()

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="generated_texts")
    kind = models.CharField(max_length=10, choices=GenerationKind.choices)
    prompt = models.TextField(blank=True)
    provider = models.CharField(max_length=200, help_text="The generator and model that wrote it.")
    params = models.JSONField(
        default=dict, blank=True, help_text="Types, temperature: what besides the prompt was asked."
    )
    request_key = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        max_length=10, choices=GenerationStatus.choices, default=GenerationStatus.PENDING, db_index=True
    )
    # The id clients see; a new one for every generation, so a regenerated result is a new result.
    generation_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.TextField(blank=True, help_text="The result as readable text.")
    data = models.JSONField(null=True, blank=True, help_text="The result as the API returns it.")
    generated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["video", "kind", "provider", "request_key"], name="generated_text_unique_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.video_id}"

    @property
    def is_current(self) -> bool:
        """Ready, and written after the video's latest indexing (a re-index makes it stale)."""
        if self.status != GenerationStatus.READY or self.generated_at is None:
            return False
        indexed_at = self.video.indexed_at
        return indexed_at is None or self.generated_at >= indexed_at
