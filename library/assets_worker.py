"""The worker side of an asset: fetch or assemble its bytes, decode and check it, once.

A job kind of library/jobs.py (`ASSET_PREPARATION` in library/kinds.py): claimed with a
conditional UPDATE, kept alive by the heartbeat, transient errors retried, the rest fail
the asset with a reason; the maintenance job resumes an asset whose worker died. Each step
records what it finished (the stored file, its digest), so a resumed job does not redo it.
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime
from functools import partial

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from core import jobs
from engines.base import EngineError
from library import intake, intake_policy, storage
from library.engine import get_engine
from library.kinds import ASSET_PREPARATION
from library.models import Asset, AssetMethod, AssetStatus, MultipartUpload, UploadChunk, UploadStatus
from library.models.assets import asset_upload_path


def asset_prepare(*, asset_id: str, worker: str | None = None) -> None:
    lease = jobs.claim(ASSET_PREPARATION, asset_id, worker=worker)
    if lease is None:
        return
    with lease:
        asset = lease.row
        if not asset.file and asset.method == AssetMethod.URL:
            got = intake.download_to_storage(
                asset.source_url, name=asset_upload_path(asset, asset.filename), filename=asset.filename
            )
            asset.file.name, asset.sha256, asset.size, asset.filename = got.name, got.sha256, got.size, got.filename
            lease.renew(file=got.name, sha256=got.sha256, size=got.size, filename=got.filename)
        elif not asset.file and asset.method == AssetMethod.MULTIPART:
            _assemble(asset, lease)
        with storage.local_copy(asset.file.name or "") as path:
            probe = get_engine().probe(path)
        intake_policy.check_probe(probe)
        name, media_type = intake.rename_by_container(asset.file.name or "", probe)
        lease.complete(
            AssetStatus.READY,
            file=name,
            file_type=media_type.content_type,
            duration=probe.duration,
            fps=probe.fps,
            width=probe.width,
            height=probe.height,
            container=probe.container,
            video_codec=probe.video_codec,
            audio_codec=probe.audio_codec,
            has_audio=probe.has_audio,
            error_code="",
            error_message="",
        )


def _assemble(asset: Asset, lease: jobs.Lease[Asset]) -> None:
    """Join the chunks in index order into the asset's file; the chunk files go once it is stored."""
    upload = asset.multipart_upload
    chunks = list(UploadChunk.objects.filter(upload=upload).order_by("chunk_index"))
    indexes = [chunk.chunk_index for chunk in chunks]
    if indexes != list(range(1, upload.total_chunks + 1)) or any(not chunk.file for chunk in chunks):
        raise EngineError("The multipart upload is missing chunks.", transient=False, code="upload_incomplete")
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as joined:
        for chunk in chunks:
            with storage.default_storage.open(chunk.file.name or "", "rb") as part:
                while block := part.read(storage.CHUNK):
                    digest.update(block)
                    size += len(block)
                    joined.write(block)
            lease.renew()
        if size != upload.total_size:
            raise EngineError(
                f"The chunks hold {size} bytes; the upload announced {upload.total_size}.",
                transient=False,
                code="upload_size_mismatch",
            )
        stored = storage.save(asset_upload_path(asset, asset.filename), File(joined, name=asset.filename))
    asset.file.name, asset.sha256, asset.size = stored, digest.hexdigest(), size
    with transaction.atomic():
        lease.renew(file=stored, sha256=asset.sha256, size=size)
        names = [chunk.file.name or "" for chunk in chunks]
        UploadChunk.objects.filter(upload=upload).update(file="")
        type(upload).objects.filter(pk=upload.pk).update(status=UploadStatus.COMPLETED)
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        storage.delete_quietly(name)


def expire_uploads(*, now: datetime | None = None) -> int:
    """Multipart uploads never completed before they expired: their chunks and their unfinished asset go.

    Run by the maintenance job; an upload still receiving chunks when it expires is refused from
    then on (library/multipart.py), so nothing races with this.
    """
    now = now or timezone.now()
    stale = list(
        MultipartUpload.objects.filter(
            status=UploadStatus.ACTIVE, expires_at__lt=now, asset__status=AssetStatus.UPLOADING
        )
    )
    for upload in stale:
        names = [name for name in UploadChunk.objects.filter(upload=upload).values_list("file", flat=True) if name]
        with transaction.atomic():
            # The asset takes the upload and its chunk rows along (cascade); the files go after commit.
            Asset.objects.filter(pk=upload.asset_id, status=AssetStatus.UPLOADING).delete()
            transaction.on_commit(partial(_delete_files, names))
    return len(stale)
