"""What an upload must be, decided in one place for every surface (/v1.2, /v1.3, /api/v1, admin, pages,
import_folder) and for the worker that validates it.

Request time: the declared size, emptiness, the spoken language, the URL and the file name. Worker
time: what decoding found (duration, resolution, frame rate). Every refusal is an `UploadRefused`: a
4xx `{code, message}` on the APIs, or the code and reason of a failed task in the worker (it is not
transient, so the job lifecycle fails the task at once). A `Video` is built from a probe here and
nowhere else, and the indexing worker reads the probe back from it (`probe_of`).
"""

from __future__ import annotations

import os
import unicodedata
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.http import parse_header_parameters

from core import addresses, outbound
from core.errors import ApplicationError
from engines.base import MediaProbe
from engines.languages import normalize_language
from library.models import Asset, Index, Task, Video

MAX_URL_CHARS = 2000  # Task.source_url
MAX_FILENAME_CHARS = 500  # Task.filename, Video.filename
# Frame rates above this are not video a person films (a crafted file declaring 10,000 fps would make
# every per-frame pass do 10,000 times the work a second).
MAX_FPS = 240.0


class UploadRefused(ApplicationError):
    """An upload that is not taken: nothing of it is stored (request time) or kept (worker time)."""

    code = "parameter_invalid"
    status = 400


def max_upload_bytes() -> int:
    return int(settings.FRAMEWISE_MAX_UPLOAD_BYTES)


def too_large() -> UploadRefused:
    return UploadRefused(
        f"The file is larger than the limit of {max_upload_bytes()} bytes.", code="video_file_too_large", status=413
    )


def check_size(size: int | None) -> None:
    """The declared or counted size: over the limit is a 413, an empty file a 400."""
    if size is None:
        return
    if size > max_upload_bytes():
        raise too_large()
    if size == 0:
        raise UploadRefused("The uploaded file is empty.", code="video_file_broken")


def language(value: object) -> str:
    """The upload's spoken language, checked before anything is stored ("": detect it)."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 10:
        raise UploadRefused("The language parameter must be a language code such as en.")
    try:
        return normalize_language(value)
    except ValueError as exc:
        raise UploadRefused(str(exc), code="parameter_invalid") from None


def filename(name: str) -> str:
    """A name fit to store and to send back in headers and subtitles: no directories, no control
    characters (a %0A or %00 from a URL), cut to the column's length keeping its extension."""
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name or "video"


def filename_from_url(url: str) -> str:
    parts = urlsplit(url)
    return filename(unquote(os.path.basename(parts.path)) or parts.netloc)


# A header value longer than this is not a file name; it is not parsed at all.
MAX_DISPOSITION_CHARS = 8192


def filename_from_disposition(header: str) -> str:
    """The name a download's `Content-Disposition` gives (RFC 6266: `filename*` preferred), made
    fit by `filename`; "" when it gives none (the caller falls back to the URL's name)."""
    if not header or len(header) > MAX_DISPOSITION_CHARS:
        return ""
    try:
        _, params = parse_header_parameters(header)
    except ValueError:  # an unknown RFC 2231 charset
        return ""
    value = params.get("filename*")  # already decoded by the parser
    if not value:
        # Servers percent-encode plain `filename` values too; they were always decoded here.
        value = unquote(params.get("filename") or "")
    return filename(value) if isinstance(value, str) and value.strip() else ""


def source_url(url: object) -> str:
    """An http(s) URL the worker may fetch; refused now if the guarded fetcher would refuse it (the
    worker checks again: DNS answers change). A name that does not resolve yet is accepted."""
    if not isinstance(url, str) or not url:
        raise UploadRefused("The url parameter must be an http(s) URL.", code="parameter_invalid")
    if len(url) > MAX_URL_CHARS:
        raise UploadRefused(f"The url parameter is longer than {MAX_URL_CHARS} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced [ in the host
        raise UploadRefused("The url parameter must be an http(s) URL.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise UploadRefused("The url parameter must be an http(s) URL.", code="parameter_invalid")
    try:
        outbound.check_url(url, allow=addresses.allowed_for("video"))
    except outbound.OutboundError as exc:
        if exc.code != "url_unresolvable":
            raise outbound.refusal(exc, field="url") from None
    return url


def check_probe(probe: MediaProbe) -> None:
    """What decoding found must be within the limits (the worker's validation)."""
    if probe.duration < settings.FRAMEWISE_MIN_DURATION:
        raise UploadRefused(
            f"The video is {probe.duration:.1f}s long; videos must be at least {settings.FRAMEWISE_MIN_DURATION:g}s.",
            code="video_duration_too_short",
        )
    if probe.duration > settings.FRAMEWISE_MAX_DURATION:
        raise UploadRefused(
            f"The video is {probe.duration:.0f}s long; the limit is {settings.FRAMEWISE_MAX_DURATION:g}s.",
            code="video_duration_too_long",
        )
    if min(probe.width, probe.height) < settings.FRAMEWISE_MIN_SIDE:
        raise UploadRefused(
            f"The video is {probe.width}x{probe.height}; its shorter side must be at least "
            f"{settings.FRAMEWISE_MIN_SIDE} pixels.",
            code="video_resolution_too_low",
        )
    if max(probe.width, probe.height) > settings.FRAMEWISE_MAX_SIDE:
        raise UploadRefused(
            f"The video is {probe.width}x{probe.height}; its longer side must be at most "
            f"{settings.FRAMEWISE_MAX_SIDE} pixels.",
            code="video_resolution_too_high",
        )
    if probe.fps > MAX_FPS:
        raise UploadRefused(
            f"The video declares {probe.fps:g} frames a second; at most {MAX_FPS:g} are taken.",
            code="video_frame_rate_too_high",
        )


_PROBE_FIELDS = ("duration", "fps", "width", "height", "size", "container", "video_codec", "audio_codec", "has_audio")


def video_from_probe(*, index: Index, task: Task, probe: MediaProbe) -> Video:
    """The (unsaved) video of a validated upload."""
    return Video(
        index=index,
        file=task.upload.name,
        filename=task.filename,
        sha256=task.sha256,
        **{field: getattr(probe, field) for field in _PROBE_FIELDS},
    )


def video_from_asset(*, index: Index, asset: Asset) -> Video:
    """The (unsaved) video of a v1.3 asset indexed into `index`: the asset's file and what validating it found."""
    return Video(
        index=index,
        asset=asset,
        file=asset.file.name,
        filename=asset.filename,
        sha256=asset.sha256,
        **{field: getattr(asset, field) for field in _PROBE_FIELDS},
    )


def probe_of(video: Video | Asset) -> MediaProbe:
    """What validation found, read back for the indexing worker (no second decode of the header)."""
    return MediaProbe(**{field: getattr(video, field) for field in _PROBE_FIELDS})
