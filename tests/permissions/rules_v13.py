"""The /v1.3 writes of the permission matrix (merged into rules_map.API_RULES).

Each request builder makes the asset, upload or chunk it acts on for the team it targets, so
an allowed attempt has something to change and a refused one can be seen to change nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from library import multipart
from library.commands import LibraryCommand
from library.models import Asset, AssetMethod, AssetStatus, MultipartUpload, UploadChunk
from tests.permissions.world import Content, World, make_asset

SIGNED = "signed"  # authorised by the URL's signature, not by a key: every actor's request is taken
URL = "http://127.0.0.1:9/new.mp4"
MODELS = [{"model_name": "marengo3.0", "model_options": ["audio"]}]

Builder = Callable[[World, Content], tuple[dict[str, Any], dict[str, Any], str]]


def _asset(c: Content, **fields: Any) -> Asset:
    return make_asset(c.team, **fields)


def admin_asset(world: World, c: Content) -> Asset:
    """The asset an admin view acts on (made with the world, before any snapshot)."""
    return world.extra["assets"][c.team.pk]


def _upload(c: Content, *, total_size: int) -> MultipartUpload:
    asset = Asset.objects.create(
        team=c.team, method=AssetMethod.MULTIPART, status=AssetStatus.UPLOADING, filename="parts.mp4"
    )
    return MultipartUpload.objects.create(
        asset=asset,
        total_size=total_size,
        chunk_size=1024,
        total_chunks=1,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _uploaded_chunk(c: Content) -> tuple[MultipartUpload, str]:
    upload = _upload(c, total_size=16)
    data = secrets.token_bytes(16)
    etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
    name = default_storage.save(f"uploads/multipart/{upload.pk}/00001", ContentFile(data))
    UploadChunk.objects.create(upload=upload, chunk_index=1, size=16, etag=etag, file=name)
    return upload, etag


def _json(build: Callable[[Content], tuple[dict[str, Any], dict[str, Any]]]) -> Builder:
    def make(world: World, c: Content) -> tuple[dict[str, Any], dict[str, Any], str]:
        kwargs, body = build(c)
        return kwargs, body, "json"

    return make


def _multipart(build: Callable[[Content], tuple[dict[str, Any], dict[str, Any]]]) -> Builder:
    def make(world: World, c: Content) -> tuple[dict[str, Any], dict[str, Any], str]:
        kwargs, body = build(c)
        return kwargs, body, "multipart"

    return make


def _report(c: Content) -> tuple[dict[str, Any], dict[str, Any]]:
    upload, etag = _uploaded_chunk(c)
    chunk = {"chunk_index": 1, "proof": etag, "proof_type": "etag", "chunk_size": 16}
    return {"upload_id": upload.pk}, {"completed_chunks": [chunk]}


def _chunk(c: Content) -> tuple[dict[str, Any], dict[str, Any]]:
    # The matrix sends `{}` as the body: a two-byte chunk of a two-byte upload.
    upload = _upload(c, total_size=2)
    token = multipart.chunk_token(upload.pk, 1, int(time.time()) + 3600)
    return {"upload_id": upload.pk, "chunk_index": 1, "token": token}, {}


def rules(rule: Callable[..., Any], object_target: str, own_target: str) -> dict[tuple[str, str], Any]:
    """The /v1.3 entries, built with rules_map's `Rule` and targets (no import cycle)."""
    index_kw = lambda c: {"index_id": c.index.id}  # noqa: E731
    return {
        ("v13-indexes", "POST"): rule(
            LibraryCommand.INDEX_CREATE, own_target, _json(lambda c: ({}, {"index_name": "New", "models": MODELS}))
        ),
        ("v13-index", "PUT"): rule(
            LibraryCommand.INDEX_RENAME, object_target, _json(lambda c: (index_kw(c), {"index_name": "Renamed"}))
        ),
        ("v13-index", "DELETE"): rule(LibraryCommand.INDEX_DELETE, object_target, _json(lambda c: (index_kw(c), {}))),
        ("v13-assets", "POST"): rule(
            LibraryCommand.ASSET_CREATE, own_target, _multipart(lambda c: ({}, {"method": "url", "url": URL}))
        ),
        ("v13-asset", "DELETE"): rule(
            LibraryCommand.ASSET_DELETE, object_target, _json(lambda c: ({"asset_id": _asset(c).pk}, {}))
        ),
        ("v13-asset-metadata", "PUT"): rule(
            LibraryCommand.ASSET_UPDATE,
            object_target,
            _json(lambda c: ({"asset_id": _asset(c).pk}, {"user_metadata": {"genre": "news"}})),
        ),
        ("v13-asset-metadata", "PATCH"): rule(
            LibraryCommand.ASSET_UPDATE,
            object_target,
            _json(lambda c: ({"asset_id": _asset(c).pk}, {"user_metadata": {"genre": "news"}})),
        ),
        ("v13-asset-metadata", "DELETE"): rule(
            LibraryCommand.ASSET_UPDATE,
            object_target,
            _json(lambda c: ({"asset_id": _asset(c, user_metadata={"genre": "news"}).pk}, {})),
        ),
        ("v13-indexed-assets", "POST"): rule(
            LibraryCommand.ASSET_INDEX, object_target, _json(lambda c: (index_kw(c), {"asset_id": _asset(c).pk}))
        ),
        ("v13-indexed-asset", "PATCH"): rule(
            LibraryCommand.VIDEO_UPDATE,
            object_target,
            _json(lambda c: ({**index_kw(c), "indexed_asset_id": c.video.id}, {"user_metadata": {"season": 2}})),
        ),
        ("v13-indexed-asset", "DELETE"): rule(
            LibraryCommand.VIDEO_DELETE,
            object_target,
            _json(lambda c: ({**index_kw(c), "indexed_asset_id": c.video.id}, {})),
        ),
        ("v13-video", "PATCH"): rule(
            LibraryCommand.VIDEO_UPDATE,
            object_target,
            _json(lambda c: ({**index_kw(c), "video_id": c.video.id}, {"user_metadata": {"season": 2}})),
        ),
        ("v13-video", "DELETE"): rule(
            LibraryCommand.VIDEO_DELETE, object_target, _json(lambda c: ({**index_kw(c), "video_id": c.video.id}, {}))
        ),
        ("v13-multipart-uploads", "POST"): rule(
            LibraryCommand.ASSET_CREATE,
            own_target,
            _json(lambda c: ({}, {"filename": "big.mp4", "type": "video", "total_size": 4096})),
        ),
        ("v13-multipart-urls", "POST"): rule(
            LibraryCommand.ASSET_CREATE,
            object_target,
            _json(lambda c: ({"upload_id": _upload(c, total_size=4096).pk}, {"start": 1, "count": 2})),
            changes=False,  # signs URLs; stores nothing
        ),
        ("v13-multipart-upload", "POST"): rule(LibraryCommand.ASSET_CREATE, object_target, _json(_report)),
        ("v13-multipart-chunk", "PUT"): rule(SIGNED, object_target, _json(_chunk)),
        ("v13-tasks", "POST"): rule(
            LibraryCommand.TASK_CREATE,
            object_target,
            _multipart(lambda c: ({}, {"index_id": c.index.id, "video_url": URL})),
        ),
        ("v13-task", "DELETE"): rule(
            LibraryCommand.TASK_DELETE, object_target, _json(lambda c: ({"task_id": c.failed_task.id}, {}))
        ),
    }
