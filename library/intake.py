"""Getting an upload's file into storage as what it is: the URL download and the container's name.

Worker-side steps of validation (library/pipeline.py for tasks, library/assets_worker.py for v1.3
assets); they raise EngineError, which the job lifecycle turns into a retry or a failure.

A worker can be killed between any two steps, and the task is then run again from the start.
So every file a task stores has a name the next attempt can predict (`task_upload_path`, then
that name with the container's extension), a download overwrites what a dead attempt left
there, and a rename records the new name before moving the file; `settle_upload` finishes a
move that a kill interrupted.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File

from core import addresses, jobs, outbound
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
                allow=addresses.allowed_for("video"),
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
        storage.delete_quietly(name)  # a killed attempt's download: replaced, never kept beside this one
        stored = storage.save(name, content)
    filename = (
        intake_policy.filename_from_disposition(result.headers.get("content-disposition", ""))
        or filename
        or intake_policy.filename_from_url(url)
    )
    return Downloaded(name=stored, sha256=sha256, size=result.size, filename=filename)


def download_source(task: Task, lease: jobs.Lease[Task]) -> None:
    """Fetch the task's URL into storage as its upload."""
    got = download_to_storage(
        task.source_url, name=task_upload_path(task, task.filename or "video.mp4"), filename=task.filename
    )
    task.sha256, task.size, task.upload.name, task.filename = got.sha256, got.size, got.name, got.filename
    lease.renew(sha256=task.sha256, size=task.size, upload=task.upload.name, filename=task.filename)


def _container_name(name: str, probe: MediaProbe) -> tuple[str, mediatypes.MediaType]:
    """The stored file `name` under the extension of the container that was decoded, and its type."""
    head = storage.read_head(name, 16)  # a ranged read: not the whole object
    kind = mediatypes.video_type(
        probe.container, video_codec=probe.video_codec, audio_codec=probe.audio_codec, head=head
    )
    stem, _ = os.path.splitext(name)
    return stem + kind.extension, kind


def rename_by_container(name: str, probe: MediaProbe) -> tuple[str, mediatypes.MediaType]:
    """Rename the stored file `name` to the extension of its container: its name now, its type."""
    new_name, kind = _container_name(name, probe)
    return (name if new_name == name else storage.rename(name, new_name)), kind


def name_by_container(task: Task, probe: MediaProbe, lease: jobs.Lease[Task]) -> None:
    """Give the upload the extension of the container that was decoded (it had none)."""
    current = task.upload.name or ""
    new_name, _ = _container_name(current, probe)
    if new_name == current:
        return
    # The new name first: killed after this, the next attempt finds the file under the old name
    # and finishes the move (settle_upload); the other order lost the file for good.
    lease.renew(upload=new_name)
    storage.move(current, new_name)
    task.upload.name = new_name


def settle_upload(task: Task) -> None:
    """Before a resumed validation reads the upload: finish a move a killed attempt began.

    The row names the upload; if no file has that name, the file is under one of the other names
    this task's upload can have (the bare upload path, or it with an extension), and is moved to
    the recorded one. A leftover under the bare path (an object store's copy-then-delete cut
    short) is removed.
    """
    recorded = task.upload.name or ""
    base = task_upload_path(task, "")
    if not recorded:
        return
    if storage.exists(recorded):
        if recorded != base:
            storage.delete_quietly(base)
        return
    for candidate in (base, *(base + extension for extension in mediatypes.VIDEO_EXTENSIONS)):
        if candidate != recorded and storage.exists(candidate):
            storage.move(candidate, recorded)
            return
