"""Multipart uploads of v1.3 assets: create, signed chunk URLs, chunk PUTs answering an ETag, completion.

The Twelve Labs SDK PUTs each chunk to the URL it was given with a bare HTTP client (no
API key), as it would to S3. So a chunk URL carries its own authorisation: an HMAC over
the upload, the chunk index and the expiry. It is issued only to an actor who may create
assets in the team, and a PUT is accepted only while the upload's creator still may
(a member removed from the team stops being able to upload, as with their key).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core import jobs
from core.errors import ApplicationError, Forbidden, NotFound
from core.models import Team
from core.rules import Actor, check
from library import intake_policy, storage
from library.assets import asset_metadata, refuse_non_video
from library.commands import LibraryCommand
from library.kinds import ASSET_PREPARATION
from library.models import Asset, AssetMethod, AssetStatus, MultipartUpload, UploadChunk, UploadStatus

_SALT = "framewise.multipart-chunk"
URL_TTL = 24 * 3600  # a chunk URL works for a day; more can be asked for
UPLOAD_TTL = 7 * 24 * 3600
INITIAL_URLS = 10  # the SDK reports chunks in batches of 10 and asks for the URLs it misses
MAX_URLS_PER_REQUEST = 100
MAX_CHUNKS = 10_000  # as S3


def chunk_size() -> int:
    return int(settings.FRAMEWISE_MULTIPART_CHUNK_BYTES)


def chunk_signature(upload_id: str, chunk_index: int, expires: int) -> str:
    return salted_hmac(_SALT, f"{upload_id}:{chunk_index}:{expires}", algorithm="sha256").hexdigest()


def chunk_token(upload_id: str, chunk_index: int, expires: int) -> str:
    """The path segment that authorises one chunk's PUT until `expires` (Unix seconds)."""
    return f"{expires}-{chunk_signature(upload_id, chunk_index, expires)}"


def token_valid(upload_id: str, chunk_index: int, token: str) -> bool:
    expires_text, _, signature = token.partition("-")
    if not expires_text.isdigit() or int(expires_text) < time.time():
        return False
    return constant_time_compare(signature, chunk_signature(upload_id, chunk_index, int(expires_text)))


@dataclass(frozen=True)
class ChunkUrl:
    chunk_index: int
    token: str
    expires_at: datetime


def chunk_urls(upload: MultipartUpload, start: int, count: int) -> list[ChunkUrl]:
    """Signed URLs (their path tokens) for chunks start..start+count-1 that exist."""
    expires = int(time.time()) + URL_TTL
    last = min(upload.total_chunks, start + count - 1)
    return [
        ChunkUrl(index, chunk_token(upload.id, index, expires), datetime.fromtimestamp(expires, tz=UTC))
        for index in range(start, last + 1)
    ]


def multipart_create(
    *,
    actor: Actor,
    team: Team,
    filename: Any,
    total_size: Any,
    file_type: Any = "video",
    user_metadata: Any = None,
) -> MultipartUpload:
    """An `uploading` asset and its upload session: chunk size and count follow from `total_size`."""
    check(actor, LibraryCommand.ASSET_CREATE, team, what="team")
    if not isinstance(filename, str) or not filename.strip():
        raise ApplicationError("The filename parameter is required.", code="parameter_not_provided")
    if file_type not in (None, "video"):
        raise ApplicationError(
            f"Assets of type {file_type!r} are not supported; Framewise indexes video assets only.",
            code="asset_type_not_supported",
        )
    filename = intake_policy.filename(filename)
    refuse_non_video(filename)
    if isinstance(total_size, float) and total_size.is_integer():
        total_size = int(total_size)  # 1024.0 from a JSON encoder that writes every number as a float
    if isinstance(total_size, bool) or not isinstance(total_size, int) or total_size < 1:
        raise ApplicationError("The total_size parameter must be a positive number of bytes.")
    intake_policy.check_size(total_size)
    size = chunk_size()
    chunks = math.ceil(total_size / size)
    if chunks > MAX_CHUNKS:
        raise ApplicationError(f"The file needs more than {MAX_CHUNKS} chunks of {size} bytes.")
    with transaction.atomic():
        asset = Asset.objects.create(
            team=team,
            method=AssetMethod.MULTIPART,
            status=AssetStatus.UPLOADING,
            filename=filename,
            user_metadata=asset_metadata(user_metadata),
            created_by=actor.recorded_user,
        )
        return MultipartUpload.objects.create(
            asset=asset,
            total_size=total_size,
            chunk_size=size,
            total_chunks=chunks,
            expires_at=timezone.now() + timedelta(seconds=UPLOAD_TTL),
        )


def multipart_urls(*, actor: Actor, upload: MultipartUpload, start: Any, count: Any) -> list[ChunkUrl]:
    """More signed chunk URLs, for an actor who may create assets in the upload's team."""
    check(actor, LibraryCommand.ASSET_CREATE, upload.asset.team_id, what="upload")
    _refuse_unless_active(upload)
    for name, value in (("start", start), ("count", count)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ApplicationError(f"The {name} parameter must be a positive integer.")
    if start > upload.total_chunks:
        raise ApplicationError(f"The upload has {upload.total_chunks} chunks; start is past the last one.")
    return chunk_urls(upload, start, min(count, MAX_URLS_PER_REQUEST))


def _refuse_unless_active(upload: MultipartUpload) -> None:
    if upload.status != UploadStatus.ACTIVE:
        raise ApplicationError(f"The upload is {upload.status}.", code="upload_not_active")
    if upload.expires_at < timezone.now():
        MultipartUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.EXPIRED)
        raise ApplicationError("The upload expired.", code="upload_not_active")


def chunk_store(*, upload_id: str, chunk_index: int, token: str, content: bytes) -> str:
    """Store one chunk PUT to its signed URL; answer its ETag (MD5 hex, as S3 does).

    The signature authorises the request; the upload's creator must still be allowed to create
    assets in the team (checked as that user acting with their current role).
    """
    if not token_valid(upload_id, chunk_index, token):
        raise Forbidden("The chunk URL's signature is invalid or expired; ask for a new URL.")
    upload = MultipartUpload.objects.select_related("asset", "asset__created_by").filter(id=upload_id).first()
    if upload is None:
        raise NotFound("The upload does not exist.")
    creator = upload.asset.created_by
    if creator is not None:
        check(Actor.for_session(creator), LibraryCommand.ASSET_CREATE, upload.asset.team_id, what="upload")
    _refuse_unless_active(upload)
    if not 1 <= chunk_index <= upload.total_chunks:
        raise ApplicationError(f"The chunk index must be between 1 and {upload.total_chunks}.")
    expected = min(upload.chunk_size, upload.total_size - (chunk_index - 1) * upload.chunk_size)
    if len(content) != expected:
        raise ApplicationError(
            f"Chunk {chunk_index} must be {expected} bytes; {len(content)} arrived.", code="chunk_size_mismatch"
        )
    etag = hashlib.md5(content, usedforsecurity=False).hexdigest()
    name = storage.save(f"uploads/multipart/{upload.id}/{chunk_index:05d}", ContentFile(content))
    try:
        with transaction.atomic():
            previous = UploadChunk.objects.select_for_update().filter(upload=upload, chunk_index=chunk_index).first()
            old = previous.file.name if previous is not None else ""
            UploadChunk.objects.update_or_create(
                upload=upload,
                chunk_index=chunk_index,
                defaults={"size": len(content), "etag": etag, "file": name, "reported": False},
            )
            if old and old != name:
                transaction.on_commit(lambda: storage.delete_quietly(old))
    except Exception:
        storage.delete_quietly(name)
        raise
    return etag


@dataclass(frozen=True)
class Report:
    processed: int
    duplicates: int
    total_completed: int
    complete: bool


def multipart_report(*, actor: Actor, upload: MultipartUpload, completed_chunks: Any) -> Report:
    """Record chunks the client says it finished (any order); the last one hands the asset to the worker."""
    check(actor, LibraryCommand.ASSET_CREATE, upload.asset.team_id, what="upload")
    _refuse_unless_active(upload)
    reports = list(_clean_reports(completed_chunks, upload.total_chunks))
    processed = duplicates = 0
    with transaction.atomic():
        stored = {
            chunk.chunk_index: chunk
            for chunk in UploadChunk.objects.select_for_update().filter(
                upload=upload, chunk_index__in=[index for index, _ in reports]
            )
        }
        for index, proof in reports:
            chunk = stored.get(index)
            if chunk is None or not constant_time_compare(chunk.etag, proof):
                raise ApplicationError(
                    f"Chunk {index} was not received with ETag {proof!r}; upload it again.", code="chunk_not_uploaded"
                )
            if chunk.reported:
                duplicates += 1
                continue
            chunk.reported = True
            chunk.save(update_fields=["reported"])
            processed += 1
        total = UploadChunk.objects.filter(upload=upload, reported=True).count()
        complete = total == upload.total_chunks
        if complete and Asset.objects.filter(pk=upload.asset_id, status=AssetStatus.UPLOADING).update(
            status=AssetStatus.PROCESSING, updated_at=timezone.now()
        ):
            jobs.enqueue(ASSET_PREPARATION, upload.asset_id)
    return Report(processed=processed, duplicates=duplicates, total_completed=total, complete=complete)


def _clean_reports(completed_chunks: Any, total_chunks: int) -> Iterable[tuple[int, str]]:
    if not isinstance(completed_chunks, list) or not completed_chunks:
        raise ApplicationError("The completed_chunks parameter must be a non-empty list.")
    for item in completed_chunks:
        if not isinstance(item, dict):
            raise ApplicationError("Each completed chunk must be an object with chunk_index and proof.")
        index, proof = item.get("chunk_index"), item.get("proof")
        if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= total_chunks:
            raise ApplicationError(f"A chunk_index must be between 1 and {total_chunks}.")
        if item.get("proof_type", "etag") != "etag" or not isinstance(proof, str) or len(proof) > 64:
            raise ApplicationError("Each completed chunk needs proof_type etag and the ETag its PUT answered.")
        yield index, proof.strip('"')
