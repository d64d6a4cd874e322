"""Objects shaped as Twelve Labs v1.3 returns them, so the 1.3 SDK's models parse every answer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.request import Request

from library.api.compat.common import iso
from library.api.compat.representations import task_json
from library.api.v13.options import models_of
from library.media import media_url
from library.models import Asset, AssetStatus, Index, MultipartUpload, Task, TaskStatus, Video
from library.multipart import ChunkUrl
from library.selectors import task_progress


def index_json(index: Index) -> dict[str, Any]:
    return {
        "_id": index.id,
        "index_name": index.name,
        "models": models_of(index.engines),
        "addons": index.addons,
        "video_count": getattr(index, "video_count", None) or 0,
        "total_duration": float(getattr(index, "total_duration", None) or 0.0),
        "expires_at": iso(index.expires_at),
        "created_at": iso(index.created_at),
        "updated_at": iso(index.updated_at),
    }


def asset_status(asset: Asset) -> str:
    # An upload still receiving chunks is `processing` to clients, as on Twelve Labs.
    return AssetStatus.PROCESSING if asset.status == AssetStatus.UPLOADING else asset.status


def asset_json(asset: Asset, request: Request) -> dict[str, Any]:
    ready = asset.status == AssetStatus.READY
    payload: dict[str, Any] = {
        "_id": asset.id,
        "method": asset.method,
        "status": asset_status(asset),
        "filename": asset.filename,
        "file_type": asset.file_type or None,
        "created_at": iso(asset.created_at),
        "updated_at": iso(asset.updated_at),
        "size": asset.size if ready else None,
        "duration": asset.duration if ready else None,
        "hls": {"manifest_url": media_url(asset.file.name, request=request) if ready else None, "status": "ready"}
        if ready
        else None,
    }
    if asset.user_metadata:
        payload["user_metadata"] = asset.user_metadata
    if ready:
        payload["technical_metadata"] = {
            "file_size_bytes": asset.size,
            "file_mime_type": asset.file_type,
            "file_container_format": asset.container,
            "video_codec": asset.video_codec,
            "video_width": asset.width,
            "video_height": asset.height,
            "video_fps": asset.fps,
            "video_duration_seconds": asset.duration,
            "audio_codec": asset.audio_codec or None,
            "has_audio": asset.has_audio,
        }
    if asset.status == AssetStatus.FAILED:
        payload["error"] = {"code": asset.error_code, "message": asset.error_message or "The asset failed."}
    return payload


def _latest_task(video: Video) -> Task | None:
    prefetched = getattr(video, "latest_tasks", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return video.tasks.order_by("-created_at").first()


def indexed_asset_status(video: Video) -> str:
    task = _latest_task(video)
    if task is not None:
        return task_progress(task).status
    return TaskStatus.READY if video.is_ready else TaskStatus.PENDING


def system_metadata(video: Video) -> dict[str, Any]:
    return {
        "filename": video.filename,
        "duration": video.duration,
        "fps": video.fps,
        "width": video.width,
        "height": video.height,
        "size": video.size,
    }


def indexed_asset_json(video: Video, request: Request, *, detailed: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "_id": video.id,
        "asset_id": video.asset_id,
        "index_id": video.index_id,
        "status": indexed_asset_status(video),
        "system_metadata": system_metadata(video),
        "user_metadata": video.user_metadata or None,
        "created_at": iso(video.created_at),
        "updated_at": iso(video.updated_at),
        "indexed_at": iso(video.indexed_at),
    }
    task = _latest_task(video)
    if task is not None and task.status == TaskStatus.FAILED:
        payload["error"] = {"code": task.error_code, "message": task.error_message}
    if detailed:
        thumbnails = [media_url(t.image.name, request=request) for t in list(video.thumbnails.all())[:1]]
        payload["hls"] = {
            "video_url": media_url(video.file.name, request=request) if video.is_ready else None,
            "thumbnail_urls": thumbnails,
            "status": "COMPLETE" if video.is_ready else "PROCESSING",
            "updated_at": iso(video.indexed_at),
        }
    return payload


def transcription_items(video: Video) -> list[dict[str, Any]]:
    return [{"start": line["start"], "end": line["end"], "value": line["value"]} for line in video.transcript]


def v13_task_json(task: Task, request: Request) -> dict[str, Any]:
    """The v1.2 task object plus the v1.3 `system_metadata` (same fields as its `metadata`)."""
    payload = task_json(task, request)
    payload["system_metadata"] = payload["metadata"]
    return payload


def chunk_url_json(upload: MultipartUpload, chunk: ChunkUrl, request: Request) -> dict[str, Any]:
    path = reverse(
        f"{request.resolver_match.namespace}:v13-multipart-chunk"
        if request.resolver_match
        else "v1.3:v13-multipart-chunk",
        kwargs={"upload_id": upload.id, "chunk_index": chunk.chunk_index, "token": chunk.token},
    )
    return {
        "chunk_index": chunk.chunk_index,
        "url": request.build_absolute_uri(path),
        "expires_at": iso(chunk.expires_at),
    }
