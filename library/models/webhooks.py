"""Webhook endpoints, the events they receive, one delivery job row per (event, endpoint), its attempts.

The secret is stored as given (it must be recoverable to compute the HMAC; no key-wrapping
library is installed); it is shown once, by the create and rotate answers, and never again
(no serializer, admin page or log prints it).
"""

from __future__ import annotations

import secrets
from enum import StrEnum

from django.db import models

from core.event_types import event_type_choices
from core.models.jobs import JobRow
from core.models.teams import Team
from core.scoping import TeamScopedQuerySet


class EventType(StrEnum):
    """The library's events; other apps register their own (core/event_types.py)."""

    TASK_READY = "index.task.ready"
    TASK_FAILED = "index.task.failed"
    GENERATION_FINISHED = "generation.finished"
    GENERATION_FAILED = "generation.failed"
    VIDEO_DELETED = "video.deleted"
    TEST = "webhook.test"  # only sent by "send test event", whatever the subscription


def new_event_id() -> str:
    return f"whe_{secrets.token_hex(12)}"


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookEndpoint(models.Model):
    team_path = "team"
    objects = TeamScopedQuerySet["WebhookEndpoint"].as_manager()

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Subscribed event types.")
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    team_path = "team"
    objects = TeamScopedQuerySet["WebhookEvent"].as_manager()

    id = models.CharField(primary_key=True, max_length=40, default=new_event_id, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=40, choices=event_type_choices)
    subject = models.CharField(max_length=60, help_text="What the event is about (task id, run id, ...): ordering key.")
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # handed to the workers
    SENDING = "sending"  # a worker holds it
    SCHEDULED = "scheduled"  # waiting for its next attempt (backoff, or an earlier event of the subject)
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(JobRow):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    tries = models.PositiveSmallIntegerField(default=0, help_text="HTTP attempts made (attempts counts claims).")
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_event_endpoint")]


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    started_at = models.DateTimeField()
    latency_ms = models.FloatField(null=True)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_snippet = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["started_at"]
