"""What a stored file is, decided by decoding it, never by the name a client gave it.

A valid MP4 uploaded as `x.html` must not come back as text/html from our own origin (a stored
script running with the viewer's session). The worker stores each upload under the extension of
the container PyAV decoded; serving maps that extension, and only ours, to a Content-Type.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaType:
    extension: str
    content_type: str


MP4 = MediaType(".mp4", "video/mp4")
QUICKTIME = MediaType(".mov", "video/quicktime")
WEBM = MediaType(".webm", "video/webm")
MATROSKA = MediaType(".mkv", "video/x-matroska")
UNKNOWN = MediaType(".bin", "application/octet-stream")

# PyAV (libavformat) demuxer names other than the MP4 and Matroska families.
_BY_DEMUXER = {
    "avi": MediaType(".avi", "video/x-msvideo"),
    "mpegts": MediaType(".ts", "video/mp2t"),
    "mpeg": MediaType(".mpg", "video/mpeg"),
    "flv": MediaType(".flv", "video/x-flv"),
    "ogg": MediaType(".ogv", "video/ogg"),
    "asf": MediaType(".wmv", "video/x-ms-wmv"),
}
_WEBM_VIDEO = {"vp8", "vp9", "av1"}
_WEBM_AUDIO = {"", "opus", "vorbis"}

# Every extension the worker may give an upload (library/intake.py looks for them after a kill).
VIDEO_EXTENSIONS = tuple(t.extension for t in (MP4, QUICKTIME, WEBM, MATROSKA, UNKNOWN, *_BY_DEMUXER.values()))

# Only extensions this service writes: the worker's container extensions and JPEG thumbnails.
_BY_EXTENSION = {t.extension: t.content_type for t in (MP4, QUICKTIME, WEBM, MATROSKA, *_BY_DEMUXER.values())} | {
    ".jpg": "image/jpeg"
}


def video_type(container: str, *, video_codec: str, audio_codec: str, head: bytes = b"") -> MediaType:
    """The type of a decoded video: `container` is PyAV's format name, `head` the file's first bytes."""
    names = set(container.split(","))
    if names & {"mp4", "mov"}:
        # One demuxer reads both; the ftyp box's major brand says which the file is.
        brand = head[8:12] if head[4:8] == b"ftyp" else b""
        return QUICKTIME if brand == b"qt  " else MP4
    if names & {"matroska", "webm"}:
        is_webm = video_codec in _WEBM_VIDEO and audio_codec in _WEBM_AUDIO
        return WEBM if is_webm else MATROSKA
    for name in names:
        if name in _BY_DEMUXER:
            return _BY_DEMUXER[name]
    return UNKNOWN


def content_type_of(name: str) -> str:
    """The Content-Type to serve a stored file with; anything we did not type is opaque bytes."""
    return _BY_EXTENSION.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def display_name(client_name: str, stored_name: str) -> str:
    """The client's name for downloads, with the extension of what the file really is."""
    stem = os.path.splitext(os.path.basename(client_name))[0] or "video"
    return stem + os.path.splitext(stored_name)[1].lower()
