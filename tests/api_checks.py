"""Checks and data the API tests share: the error shape, and a team's index with a ready video."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from core.models import Team
from library.models import Index, Task, TaskStatus, Thumbnail, Video
from tests.factories import IndexFactory


def assert_error(response: Any, status: int, code: str) -> None:
    """`response` is a JSON `{code, message}` error with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    payload = json.loads(response.content)
    assert set(payload) == {"code", "message"}
    assert isinstance(payload["message"], str) and payload["message"]
    assert payload["code"] == code


@dataclass(frozen=True)
class Library:
    """One team's index with a ready video and the task that made it."""

    index: Index
    video: Video
    task: Task


def make_library(team: Team) -> Library:
    """Rows only (no media file): enough for every read route and the error paths."""
    index = IndexFactory(team=team)
    video = Video.objects.create(
        index=index,
        file=f"videos/{index.id}/clip.mp4",
        filename="clip.mp4",
        sha256="0" * 64,
        duration=6.0,
        fps=25.0,
        width=640,
        height=360,
        size=123456,
        transcript=[{"start": 0.5, "end": 2.0, "value": "Cooking pasta today."}],
        texts=[{"start": 0.0, "end": 3.0, "value": "HELLO FRAMEWISE"}],
        indexed_at=timezone.now(),
    )
    Thumbnail.objects.create(video=video, time=1.0, image=f"thumbnails/{video.id}/1.jpg")
    task = Task.objects.create(index=index, video=video, filename="clip.mp4", status=TaskStatus.READY, progress=100.0)
    return Library(index=index, video=video, task=task)
