"""Getting an upload's file into storage as what it is: the URL download and the container's name.

Worker-side steps of validation (library/pipeline.py for tasks, library/assets_worker.py for v1.3
assets); they raise EngineError, which the job lifecycle turns into a retry or a failure.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from urllib.parse import unquote

from django.conf import settings
from django.core.files import File

from core import jobs, outbound
from engines.base import EngineError, MediaProbe
from library import intake_policy, mediatypes, storage
from library.models import Task
from library.models.tasks import task_upload_path


@dataclass(frozen=True)
class Downloaded:
    name: str  # the storage name it was saved under
    sha256: str
    size: int
    filename: str  # the server's Content-Disposition name, else `filename`, else the URL's


def download_to_storage(url: str, *, name: str, filename: str) -> Downloaded:
    """Fetch `url` into storage under `name`, through the guarded fetcher (tasks and assets).

    4xx answers and refused URLs are permanent; 5xx and network errors are transient.
    """
    with tempfile.TemporaryFile() as buffer:
        try:
            result = outbound.fetch(
                url,
                deadline=settings.FRAMEWISE_DOWNLOAD_DEADLINE,
                max_bytes=intake_policy.max_upload_bytes(),
                sink=buffer,
            )
        except outbound.OutboundError as exc:
            raise outbound.refusal(
                exc, field="video URL", unreachable_code="video_url_unreachable", too_large_code="video_file_too_large"
            ) from None
        if result.status >= 300:
            raise EngineError(
                f"Downloading {url} was answered with HTTP status {result.status}.",
                transient=result.status >= 500,
                code="video_url_unreachable",
            )
        buffer.seek(0)
        content = File(buffer, name=filename)
        sha256 = storage.sha256_of(content)
        stored = storage.save(name, content)
    disposition = result.headers.get("content-disposition", "")
    if "filename=" in disposition:
        filename = intake_policy.filename(unquote(disposition.split("filename=")[-1].strip('"; ')))
    if not filename:
        filename = intake_policy.filename_from_url(url)
    return Downloaded(name=stored, sha256=sha256, size=result.size, filename=filename)


def download_source(task: Task, lease: jobs.Lease[Task]) -> None:
    """Fetch the task's URL into storage as its upload."""
    got = download_to_storage(
        task.source_url, name=task_upload_path(task, task.filename or "video.mp4"), filename=task.filename
    )
    task.sha256, task.size, task.upload.name, task.filename = got.sha256, got.size, got.name, got.filename
    lease.renew(sha256=task.sha256, size=task.size, upload=task.upload.name, filename=task.filename)


def rename_by_container(name: str, probe: MediaProbe) -> tuple[str, mediatypes.MediaType]:
    """The stored file `name` under the extension of the container that was decoded: its name now, its type."""
    head = storage.read_head(name, 16)  # a ranged read: not the whole object
    kind = mediatypes.video_type(
        probe.container, video_codec=probe.video_codec, audio_codec=probe.audio_codec, head=head
    )
    stem, extension = os.path.splitext(name)
    if extension == kind.extension:
        return name, kind
    return storage.rename(name, stem + kind.extension), kind


def name_by_container(task: Task, probe: MediaProbe, lease: jobs.Lease[Task]) -> None:
    """Give the upload the extension of the container that was decoded (it had none)."""
    name, _ = rename_by_container(task.upload.name or "", probe)
    if name != task.upload.name:
        task.upload.name = name
        lease.renew(upload=task.upload.name)
