"""Getting a task's file into storage as what it is: the URL download and the container's name.

Worker-side steps of validation (library/pipeline.py calls them); they raise EngineError,
which the pipeline turns into a retry or a failure.
"""

from __future__ import annotations

import os
import tempfile
from urllib.parse import unquote

from django.conf import settings
from django.core.files import File

from core import jobs, outbound
from engines.base import EngineError, MediaProbe
from library import intake_policy, mediatypes, storage
from library.models import Task
from library.models.tasks import task_upload_path


# Fetcher codes that are about the URL itself keep their name; the rest say the video is unreachable.
def download_source(task: Task, lease: jobs.Lease[Task]) -> None:
    """Fetch the task's URL into storage as its upload, through the guarded fetcher.

    4xx answers and refused URLs are permanent; 5xx and network errors are transient.
    """
    with tempfile.TemporaryFile() as buffer:
        try:
            result = outbound.fetch(
                task.source_url,
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
                f"Downloading {task.source_url} was answered with HTTP status {result.status}.",
                transient=result.status >= 500,
                code="video_url_unreachable",
            )
        buffer.seek(0)
        content = File(buffer, name=task.filename)
        task.sha256 = storage.sha256_of(content)
        task.size = result.size
        task.upload.name = storage.save(task_upload_path(task, task.filename or "video.mp4"), content)
    disposition = result.headers.get("content-disposition", "")
    if "filename=" in disposition:
        task.filename = intake_policy.filename(unquote(disposition.split("filename=")[-1].strip('"; ')))
    if not task.filename:
        task.filename = intake_policy.filename_from_url(task.source_url)
    lease.renew(sha256=task.sha256, size=task.size, upload=task.upload.name, filename=task.filename)


def name_by_container(task: Task, probe: MediaProbe, lease: jobs.Lease[Task]) -> None:
    """Give the upload the extension of the container that was decoded (it had none)."""
    head = storage.read_head(task.upload.name or "", 16)  # a ranged read: not the whole object
    kind = mediatypes.video_type(
        probe.container, video_codec=probe.video_codec, audio_codec=probe.audio_codec, head=head
    )
    stem, extension = os.path.splitext(task.upload.name or "")
    if extension == kind.extension:
        return
    task.upload.name = storage.rename(task.upload.name or "", stem + kind.extension)
    lease.renew(upload=task.upload.name)
