"""Signed media URLs and a media view that honours HTTP Range requests.

Thumbnail and video URLs in API responses must be fetchable by clients that hold no
session (the Twelve Labs API hands out pre-signed S3 URLs). With FRAMEWISE_MEDIA_DELIVERY=presigned
(the default with S3) a URL is the store's own presigned URL, living AWS_QUERYSTRING_EXPIRE, which
makes the store answer with the Content-Type and Content-Disposition we decided; otherwise we sign
`/media/<name>?e=<expiry>&u=<user id>&s=<signature>` ourselves and stream the file from the storage
(local or S3) with Range support: browsers seek with Range requests, and Django's static serving
ignores them.

A URL we sign is short-lived (FRAMEWISE_MEDIA_URL_TTL, 1 h by default) and names the user it was
made for (the request's key or session user): it is served only while that user is still an
active member of the team that owns the file, so a member removed from the team loses the URLs
they were given at once. A URL made outside any request (the admin's previews, `u=0`) is served
only to a logged-in member's session. (A store's presigned URL cannot be checked this way: it
only expires.)
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files.storage import default_storage
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

from library import mediatypes, storage

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$", re.IGNORECASE)
_SALT = "framewise.media"


def _signature(name: str, expires: int, user_id: int) -> str:
    return signing.Signer(salt=_SALT).signature(f"{name}:{expires}:{user_id}")


def _user_of(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def media_url(name: str | None, *, request: HttpRequest | None = None, user: Any = None, ttl: int | None = None) -> str:
    """A signed URL of a stored file for `user` (default: the request's key or session user)."""
    if not name:
        return ""
    if settings.FRAMEWISE_MEDIA_DELIVERY == "presigned":
        # No database read per URL (pages list many thumbnails): the stored name's own basename.
        # The store's URL lives AWS_QUERYSTRING_EXPIRE (1 h by default) unless the caller says.
        content_type = mediatypes.content_type_of(name)
        return storage.signed_url(
            name, content_type=content_type, disposition=_disposition(content_type, os.path.basename(name)), ttl=ttl
        )
    ttl = int(settings.FRAMEWISE_MEDIA_URL_TTL) if ttl is None else ttl
    user = user if user is not None else _user_of(request)
    user_id = int(user.pk) if user is not None else 0
    # The expiry is rounded up to a quarter of the lifetime, so URLs stay the same between calls
    # for a while (browser caches work) and live between ttl and 1.25 x ttl.
    step = max(60, ttl // 4)
    expires = (int(time.time()) // step + 1) * step + ttl
    path = f"{settings.MEDIA_URL.rstrip('/')}/{name}?e={expires}&u={user_id}&s={_signature(name, expires, user_id)}"
    if request is not None:
        return request.build_absolute_uri(path)
    base = settings.FRAMEWISE_PUBLIC_URL.rstrip("/")
    return f"{base}{path}" if base else path


@require_safe  # reads only: a write method is 405, never a silent GET
def serve_media(request: HttpRequest, name: str) -> HttpResponseBase:
    """Serve a stored file to a valid signature whose user may still see it (see the module docstring)."""
    try:
        expires = int(request.GET.get("e", "0"))
        user_id = int(request.GET.get("u", "0"))
    except ValueError:
        raise Http404 from None
    signature = _signature(name, expires, user_id)
    if not (expires > time.time() and constant_time_compare(request.GET.get("s", ""), signature)):
        raise Http404
    if ".." in name.split("/"):
        raise Http404
    viewer = _user_of(request) if user_id == 0 else get_user_model().objects.filter(pk=user_id).first()
    if viewer is None or not _may_see(viewer, name):
        raise Http404  # removed from the team (or never in it): as if the file did not exist
    try:
        return ranged_file_response(request, name, download_name=_download_name(name))
    except FileNotFoundError:
        raise Http404 from None


def _may_see(user: Any, name: str) -> bool:
    """Whether `user` (active, a member of the owning team, or an operator) may see the stored file."""
    from core.rules import Actor
    from library.models import Task, Thumbnail, Video

    if not user.is_active:
        return False
    actor = Actor.for_session(user)
    videos = Video.objects.visible_to(actor)
    return (
        videos.filter(file=name).exists()
        or Thumbnail.objects.filter(image=name, video__in=videos).exists()
        or Task.objects.visible_to(actor).filter(upload=name).exists()
    )


def _download_name(name: str) -> str:
    from library.models import Video

    client_name = Video.objects.filter(file=name).values_list("filename", flat=True).first()
    return mediatypes.display_name(client_name or name, name)


def _byte_range(header: str, size: int) -> tuple[int, int] | None | bool:  # False: unsatisfiable
    """RFC 9110 14.1.2: (first, last) of a single satisfiable range; False if unsatisfiable;
    None if the header is absent, invalid or asks for several ranges (then it is ignored)."""
    match = _RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # suffix range: the last N bytes
        length = int(last)
        return (max(0, size - length), size - 1) if length > 0 and size > 0 else False
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid: ignored, the whole file is sent
    if start >= size:
        return False
    return start, min(end, size - 1)


def _disposition(content_type: str, download_name: str) -> str:
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in download_name)
    disposition = "inline" if content_type.startswith(("video/", "image/")) else "attachment"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name, safe='')}"


def _harden(response: HttpResponseBase, download_name: str) -> HttpResponseBase:
    # Served from our own origin: never let a browser sniff or run it as a document.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = _disposition(response.get("Content-Type", ""), download_name)
    return response


def ranged_file_response(request: HttpRequest, name: str, *, download_name: str = "") -> HttpResponseBase:
    """The stored file, whole or the asked range; FileNotFoundError if it is not stored.

    From a local folder the whole file goes out as a FileResponse (the server may use
    sendfile); anything else, and every range, is streamed in chunks from the storage.
    """
    size = storage.size(name)
    content_type = mediatypes.content_type_of(name)
    download_name = download_name or os.path.basename(name)
    wanted = _byte_range(request.headers.get("Range", ""), size)
    if wanted is False or wanted is True:  # True never comes back; it keeps the type checker honest
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return _harden(refused, download_name)
    response: HttpResponseBase
    if wanted is None and storage.object_store() is None:
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    elif wanted is None:
        response = StreamingHttpResponse(_chunks(name, 0, size - 1), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = wanted
        response = StreamingHttpResponse(_chunks(name, start, end), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return _harden(response, download_name)


def _chunks(name: str, start: int, end: int) -> Iterator[bytes]:
    if end < start:  # an empty file
        return iter(())
    return storage.iter_range(name, start, end)
