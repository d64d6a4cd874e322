"""Commands on v1.3 assets: upload (direct, URL), user metadata, delete, and indexing an asset into an index.

An asset is validated once by the worker (library/assets_worker.py, a job kind of the one
lifecycle); indexing it into an index records a `Video` that shares the asset's file and a
`Task` that goes straight to the indexing queue (no second validation). Multipart uploads
are in library/multipart.py.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction

from core import jobs
from core.errors import ApplicationError, Conflict, NotFound
from core.models import Team
from core.rules import Actor, check
from library import intake_policy, storage
from library.commands import LibraryCommand
from library.kinds import ASSET_PREPARATION, INDEXING
from library.metadata import clean_metadata
from library.models import Asset, AssetMethod, AssetStatus, Index, Task, TaskStatus, UploadChunk, Video
from library.models.assets import asset_upload_path
from library.models.tasks import TaskSource
from library.services import delete_unreferenced_files

# What the v1.3 API calls a file that is not a video: refused, Framewise indexes videos only.
NOT_VIDEO_PREFIXES = ("image/", "audio/", "text/", "application/pdf", "application/msword")
NOT_VIDEO_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".mp3", ".wav", ".m4a", ".aac"}
    | {".flac", ".ogg", ".opus", ".pdf", ".txt", ".md", ".doc", ".docx"}
)


def refuse_non_video(filename: str, content_type: str = "") -> None:
    """Framewise indexes videos only: an image, audio or document is a clear 400, not a failed asset later."""
    extension = os.path.splitext(filename or "")[1].lower()
    if extension in NOT_VIDEO_EXTENSIONS or (content_type or "").lower().startswith(NOT_VIDEO_PREFIXES):
        raise ApplicationError(
            f"{filename or 'The file'} is not a video; Framewise supports video assets only.",
            code="asset_type_not_supported",
        )


def asset_metadata(value: Any) -> dict[str, Any]:
    """User metadata of an asset: the video rules (library/metadata.py); None is no metadata."""
    return {} if value is None else clean_metadata(value)


def asset_create_from_file(
    *,
    actor: Actor,
    team: Team,
    content: File,
    filename: str,
    content_type: str = "",
    user_metadata: Any = None,
    language: str = "",
) -> Asset:
    """Store the received bytes as a `processing` asset and enqueue its validation."""
    check(actor, LibraryCommand.ASSET_CREATE, team, what="team")
    intake_policy.check_size(content.size)
    filename = intake_policy.filename(filename or getattr(content, "name", "") or "video")
    refuse_non_video(filename, content_type)
    asset = Asset(
        team=team,
        method=AssetMethod.DIRECT,
        filename=filename,
        user_metadata=asset_metadata(user_metadata),
        language=intake_policy.language(language),
        created_by=actor.recorded_user,
        sha256=storage.sha256_of(content),
        size=content.size,
    )
    stored = storage.save(asset_upload_path(asset, filename), content)
    try:
        with transaction.atomic():
            asset.file.name = stored
            asset.save()
            jobs.enqueue(ASSET_PREPARATION, asset.id)
    except Exception:
        storage.delete_quietly(stored)
        raise
    return asset


def asset_create_from_url(
    *, actor: Actor, team: Team, url: Any, filename: str = "", user_metadata: Any = None, language: str = ""
) -> Asset:
    """Record a `processing` asset whose worker downloads `url` through the guarded fetcher."""
    check(actor, LibraryCommand.ASSET_CREATE, team, what="team")
    url = intake_policy.source_url(url)
    filename = intake_policy.filename(filename) if filename else intake_policy.filename_from_url(url)
    refuse_non_video(filename)
    with transaction.atomic():
        asset = Asset.objects.create(
            team=team,
            method=AssetMethod.URL,
            source_url=url,
            filename=filename,
            user_metadata=asset_metadata(user_metadata),
            language=intake_policy.language(language),
            created_by=actor.recorded_user,
        )
        jobs.enqueue(ASSET_PREPARATION, asset.id)
    return asset


def asset_update_metadata(*, actor: Actor, asset: Asset, user_metadata: Any, replace: bool) -> Asset:
    """Merge (`PATCH`) or replace (`PUT`) the asset's user metadata; a key set to null is removed."""
    check(actor, LibraryCommand.ASSET_UPDATE, asset.team_id, what="asset")
    if not isinstance(user_metadata, dict):
        raise ApplicationError("The user_metadata parameter must be an object.")
    removed = {key for key, value in user_metadata.items() if value is None}
    cleaned = clean_metadata({key: value for key, value in user_metadata.items() if value is not None})
    merged = cleaned if replace else {**asset.user_metadata, **cleaned}
    asset.user_metadata = {key: value for key, value in merged.items() if key not in removed}
    asset.save(update_fields=["user_metadata", "updated_at"])
    return asset


def asset_clear_metadata(*, actor: Actor, asset: Asset) -> Asset:
    check(actor, LibraryCommand.ASSET_UPDATE, asset.team_id, what="asset")
    asset.user_metadata = {}
    asset.save(update_fields=["user_metadata", "updated_at"])
    return asset


def asset_delete(*, actor: Actor, asset: Asset, force: bool = False) -> None:
    """Delete the asset; refused (409) while an index still holds it, unless `force`.

    With `force` its indexed assets stay searchable: they keep the file they share with the
    asset, which is removed with the last of them (services.delete_unreferenced_files).
    """
    check(actor, LibraryCommand.ASSET_DELETE, asset.team_id, what="asset")
    indexed = list(asset.videos.values_list("id", flat=True)[:5])
    if indexed and not force:
        raise Conflict(
            f"The asset is indexed as {', '.join(indexed)}; delete those indexed assets first or use force=true.",
            code="asset_in_use",
        )
    names = [asset.file.name or ""]
    names += UploadChunk.objects.filter(upload__asset=asset).values_list("file", flat=True)
    with transaction.atomic():
        jobs.cancel(ASSET_PREPARATION, Asset.objects.filter(pk=asset.pk), code="asset_deleted", message="Deleted.")
        asset.delete()
        transaction.on_commit(lambda: delete_unreferenced_files(names))


def asset_index(*, actor: Actor, index: Index, asset: Asset, user_metadata: Any = None, title: str = "") -> Video:
    """Index a ready asset into `index`: a Video sharing the asset's file, and its indexing task.

    The asset was validated once; the task starts at `queued`. If the asset was already
    analysed for another index with the options this one needs, the worker copies that
    analysis instead of running the engine again (library/pipeline.py).
    """
    check(actor, LibraryCommand.ASSET_INDEX, index.team_id, what="index")
    if asset.team_id != index.team_id:
        raise NotFound(f"The asset {asset.id} does not exist.")  # another team's asset: as if it did not exist
    if asset.status != AssetStatus.READY:
        raise ApplicationError(
            f"The asset is {asset.status}; index it once it is ready.",
            code="asset_not_ready" if asset.status == AssetStatus.PROCESSING else "asset_failed",
        )
    metadata = {**asset.user_metadata, **asset_metadata(user_metadata)}
    video = intake_policy.video_from_asset(index=index, asset=asset)
    video.title, video.user_metadata = title, metadata
    try:
        with transaction.atomic():
            video.save()
            task = Task.objects.create(
                index=index,
                video=video,
                source=TaskSource.ASSET,
                filename=asset.filename,
                sha256=asset.sha256,
                size=asset.size,
                duration=asset.duration,
                width=asset.width,
                height=asset.height,
                language=asset.language,
                status=TaskStatus.QUEUED,
                created_by=actor.recorded_user,
            )
            jobs.enqueue(INDEXING, task.id)
    except IntegrityError:
        existing = Video.objects.filter(index=index, sha256=asset.sha256).values_list("id", flat=True).first()
        raise Conflict(
            f"This asset's file is already in the index as {existing}; it is not indexed twice.",
            code="asset_already_indexed",
        ) from None
    return video
