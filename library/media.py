"""Signed media URLs and a media view that honours HTTP Range requests.

Thumbnail and video URLs in API responses must be fetchable by clients that hold no
session (the Twelve Labs API hands out pre-signed S3 URLs). For storages that sign
their own URLs (S3) we use `storage.url()`; for the local file system we sign
`/media/<name>?e=<expiry>&s=<signature>` ourselves. Range support matters for video:
browsers seek with Range requests, and Django's static serving ignores them.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Iterator

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_safe

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_SALT = "framewise.media"
DEFAULT_TTL = 7 * 24 * 3600


def _signature(name: str, expires: int) -> str:
    return signing.Signer(salt=_SALT).signature(f"{name}:{expires}")


def media_url(name: str | None, *, request: HttpRequest | None = None, ttl: int = DEFAULT_TTL) -> str:
    if not name:
        return ""
    if not isinstance(default_storage, FileSystemStorage):
        return default_storage.url(name)
    # Expiry rounded to the hour keeps URLs stable between calls (browser caches work).
    expires = (int(time.time()) // 3600 + 1) * 3600 + ttl
    path = f"{settings.MEDIA_URL.rstrip('/')}/{name}?e={expires}&s={_signature(name, expires)}"
    if request is not None:
        return request.build_absolute_uri(path)
    base = settings.FRAMEWISE_PUBLIC_URL.rstrip("/")
    return f"{base}{path}" if base else path


@require_safe  # reads only: a write method is 405, never a silent GET
def serve_media(request: HttpRequest, name: str) -> HttpResponseBase:
    """Serve a stored file to a holder of a valid signature, or to a logged-in team member."""
    try:
        expires = int(request.GET.get("e", "0"))
    except ValueError:
        raise Http404 from None
    signed_ok = expires > time.time() and constant_time_compare(request.GET.get("s", ""), _signature(name, expires))
    if not signed_ok:
        raise Http404
    if ".." in name.split("/") or not default_storage.exists(name):
        raise Http404
    return ranged_file_response(request, name)


def ranged_file_response(request: HttpRequest, name: str) -> HttpResponseBase:
    size = default_storage.size(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    match = _RANGE.match(request.headers.get("Range", "").strip())
    handle = default_storage.open(name, "rb")
    if not match or (not match.group(1) and not match.group(2)):
        response: HttpResponseBase = FileResponse(handle, content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        response["Content-Length"] = str(size)
        response["Cache-Control"] = "private, max-age=3600"
        return response
    first, last = match.group(1), match.group(2)
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start > end or start >= size:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle.seek(start)
    length = end - start + 1

    def chunks(remaining: int = length, chunk: int = 256 * 1024) -> Iterator[bytes]:
        try:
            while remaining > 0:
                data = handle.read(min(chunk, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data
        finally:
            handle.close()

    streamed = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    streamed["Content-Range"] = f"bytes {start}-{end}/{size}"
    streamed["Content-Length"] = str(length)
    streamed["Accept-Ranges"] = "bytes"
    streamed["Cache-Control"] = "private, max-age=3600"
    return streamed
