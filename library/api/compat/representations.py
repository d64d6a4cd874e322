"""Objects shaped exactly as Twelve Labs v1.2 returns them (and as the SDK's models require)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from library.api.compat.common import iso
from library.media import media_url
from library.models import Index, Task, TaskStatus, Video
from library.selectors import task_progress


def index_json(index: Index) -> dict[str, Any]:
    engines = [{"engine_name": e["engine_name"], "engine_options": e["engine_options"]} for e in index.engines]
    return {
        "_id": index.id,
        "index_name": index.name,
        "engines": engines,
        "addons": index.addons,
        # v1.1 field names, for clients of the older API.
        "engine_id": index.engines[0]["engine_name"] if index.engines else None,
        "index_options": sorted(index.options),
        "video_count": getattr(index, "video_count", None) or 0,
        "total_duration": float(getattr(index, "total_duration", None) or 0.0),
        "expires_at": iso(index.expires_at),
        "created_at": iso(index.created_at),
        "updated_at": iso(index.updated_at),
    }


def _thumbnail_urls(video: Video, request: Request, *, limit: int = 1) -> list[str]:
    return [media_url(t.image.name, request=request) for t in list(video.thumbnails.all())[:limit]]


def video_metadata(video: Video) -> dict[str, Any]:
    return {
        **video.user_metadata,
        "filename": video.filename,
        "duration": video.duration,
        "fps": video.fps,
        "width": video.width,
        "height": video.height,
        "size": video.size,
        "engine_ids": video.index.engine_names,
        "engine_id": video.index.engine_names[0] if video.index.engine_names else None,
        "video_title": video.title or video.filename,
    }


def video_json(video: Video, request: Request) -> dict[str, Any]:
    return {
        "_id": video.id,
        "created_at": iso(video.created_at),
        "updated_at": iso(video.updated_at),
        "indexed_at": iso(video.indexed_at),
        "metadata": video_metadata(video),
        "hls": {
            "video_url": media_url(video.file.name, request=request),
            "thumbnail_urls": _thumbnail_urls(video, request),
            "status": "COMPLETE",
            "updated_at": iso(video.indexed_at),
        },
        "source": {"type": "upload", "name": video.filename},
        # The spoken language (ISO 639-1): the upload's, else detected; None before indexing or if silent.
        "language": video.language or None,
        # What indexing could not run, and why (e.g. no visual model installed).
        "skipped_options": video.skipped,
        # Which visual model indexed the video (concept classifier or CLIP); None without `visual`.
        "visual_model": (video.engine_versions or {}).get("visual"),
    }


def task_json(task: Task, request: Request) -> dict[str, Any]:
    shown = task_progress(task)
    video = task.video if task.video_id else None
    payload: dict[str, Any] = {
        "_id": task.id,
        "index_id": task.index_id,
        "video_id": task.video_id,
        "status": shown.status,
        "type": "index_task_info",
        "metadata": {
            "filename": task.filename,
            "duration": task.duration,
            "width": task.width,
            "height": task.height,
        },
        "process": {
            "percentage": shown.percentage,
            "remain_seconds": shown.remain_seconds,
            "upload_percentage": 100 if task.upload else 0,
        },
        "estimated_time": iso(shown.estimated_time),
        "hls": {
            "video_url": media_url(video.file.name, request=request) if video and video.is_ready else None,
            "thumbnail_urls": _thumbnail_urls(video, request) if video and video.is_ready else [],
            "status": "COMPLETE" if task.status == TaskStatus.READY else "PROCESSING",
            "updated_at": iso(task.updated_at),
        },
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }
    if task.status == TaskStatus.FAILED:
        payload["error"] = {"code": task.error_code, "message": task.error_message}
    if video is not None and video.skipped:
        payload["skipped_options"] = video.skipped
    return payload
