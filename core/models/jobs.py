"""The columns every job row shares; core/jobs.py owns what happens to them."""

from __future__ import annotations

from django.db import models


class JobRow(models.Model):
    """A unit of long work that a worker claims, keeps alive and finishes (see core/jobs.py).

    `claimed_by` names the worker holding the row ("" when nobody does); the claim is a
    lease that stays valid while `heartbeat_at` is younger than FRAMEWISE_TASK_LEASE_SECONDS.
    `attempts` counts claims, so a job that keeps killing its workers fails instead of looping.
    Each concrete model keeps its own `status` field and choices (they are API values).
    """

    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker first claimed it.")
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
