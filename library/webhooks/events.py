"""Emitting events: called inside the transaction that writes the state change.

The event row and one delivery row per subscribed active endpoint are written in the
caller's transaction, and the deliveries are enqueued on its commit. A worker killed after
the commit but before the broker got the message leaves pending delivery rows, which the
maintenance job's recovery (core/jobs.py) re-enqueues: an event is never lost.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import transaction

from core import jobs
from core.models import Team
from library.models import EventType, GeneratedText, Task, Video, WebhookDelivery, WebhookEndpoint, WebhookEvent


def event_emit(*, team: Team | int, type: StrEnum, subject: str, data: dict[str, Any]) -> WebhookEvent | None:
    """Record an event for the team's subscribed endpoints; None (nothing written) when nobody subscribed."""
    from library.webhooks.delivery import DELIVERY

    team_id = team if isinstance(team, int) else team.pk
    endpoints = [
        endpoint for endpoint in WebhookEndpoint.objects.of_team(team_id).filter(active=True) if type in endpoint.events
    ]
    if not endpoints:
        return None
    with transaction.atomic():
        event = WebhookEvent.objects.create(team_id=team_id, type=type, subject=subject, data=data)
        for endpoint in endpoints:
            delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint)
            jobs.enqueue(DELIVERY, delivery.pk)
    return event


def task_payload(task: Task, status: str) -> dict[str, Any]:
    """The Twelve Labs task event's `data`."""
    duration = task.video.duration if task.video_id and task.video else task.duration
    return {
        "id": task.pk,
        "metadata": {"duration": duration},
        "status": status,
        "engines": [
            {"name": engine.get("engine_name"), "options": list(engine.get("engine_options", []))}
            for engine in task.index.engines
        ],
        "tags": [],
    }


def task_finished(task_id: str) -> None:
    """The task's final status was written (ready or failed) in the current transaction."""
    task = Task.objects.select_related("index", "video").filter(pk=task_id).first()
    if task is None or task.status not in ("ready", "failed"):
        return
    event_type = EventType.TASK_READY if task.status == "ready" else EventType.TASK_FAILED
    data = task_payload(task, task.status)
    if task.status == "failed":
        data["error"] = {"code": task.error_code, "message": task.error_message}
    event_emit(team=task.index.team_id, type=event_type, subject=f"task:{task.pk}", data=data)


def generation_finished(generated_id: int) -> None:
    row = GeneratedText.objects.select_related("video__index").filter(pk=generated_id).first()
    if row is None or row.status not in ("ready", "failed"):
        return
    data: dict[str, Any] = {"id": row.pk, "video_id": row.video_id, "kind": row.kind, "status": row.status}
    if row.status == "failed":
        data["error"] = {"code": row.error_code, "message": row.error_message}
    event_type = EventType.GENERATION_FINISHED if row.status == "ready" else EventType.GENERATION_FAILED
    event_emit(team=row.video.index.team_id, type=event_type, subject=f"generation:{row.pk}", data=data)


def video_deleted(video: Video) -> None:
    event_emit(
        team=video.index.team_id,
        type=EventType.VIDEO_DELETED,
        subject=f"video:{video.pk}",
        data={"id": video.pk, "index_id": video.index_id, "filename": video.filename},
    )
