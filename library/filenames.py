"""The one place a file's display name is made from what a client or a remote server says.

Names come from multipart uploads, from the last segment of a `video_url` (percent-decoded)
and from a download's `Content-Disposition`. They are stored in `Task.filename` and
`Video.filename` and sent back in API bodies and download headers, so they must hold no
control characters (`%0A` made the subtitle download's header invalid: a 500; `%00` is
refused by PostgreSQL: a 500), no bidirectional overrides (a name that reads as
`cod.mp4` but is `...\u202e4pm.doc`), no path, and fit the 500-character columns.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from django.utils.http import parse_header_parameters

MAX_FILENAME_CHARS = 500  # Task.filename, Video.filename
# A header value longer than this is not a file name; it is not parsed at all.
MAX_DISPOSITION_CHARS = 8192

# Bidirectional embeddings, overrides and isolates: they change how a name reads, never what it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _allowed(char: str) -> bool:
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0:  # C0, DEL and C1 controls (NUL, CR, LF, tab, ...)
        return False
    if 0xD800 <= code < 0xE000:  # lone surrogates cannot be stored as UTF-8
        return False
    return char not in _BIDI_CONTROLS


def clean_filename(name: str, *, fallback: str = "video") -> str:
    """`name` as a safe display name: its last path segment, without control characters,
    whitespace runs collapsed, cut to the column keeping the extension; `fallback` if nothing is left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(char if _allowed(char) else " " for char in last)
    cleaned = " ".join(kept.split())
    if cleaned in ("", ".", ".."):
        return fallback
    return _short(cleaned)


def _short(name: str) -> str:
    """`name` cut to the column's length, keeping its extension (PostgreSQL refuses longer values)."""
    if len(name) <= MAX_FILENAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and 0 < len(extension) <= 16:
        return stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
    return name[:MAX_FILENAME_CHARS].rstrip()


def name_from_url(url: str, *, fallback: str = "video") -> str:
    """The URL path's last segment, percent-decoded and cleaned; else the host; else `fallback`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return fallback
    return clean_filename(unquote(os.path.basename(parts.path)) or parts.netloc, fallback=fallback)


def name_from_disposition(header: str) -> str:
    """The file name a `Content-Disposition` header gives (`filename*` preferred), cleaned; "" if none."""
    if not header or len(header) > MAX_DISPOSITION_CHARS:
        return ""
    try:
        _, params = parse_header_parameters(header)
    except ValueError:  # an unknown RFC 2231 charset
        return ""
    value = params.get("filename*")  # RFC 5987/2231: already decoded by the parser
    if not value:
        # Servers percent-encode plain `filename` values too; they were always decoded here.
        value = unquote(params.get("filename") or "")
    return clean_filename(value, fallback="") if isinstance(value, str) else ""
