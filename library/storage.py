"""Media access through Django's storage API only.

Engines need a local, seekable file (PyAV and the speech process open it by path).
`local_copy` gives one without assuming the storage is a local disk: a file system
storage hands out its own path, any other storage (S3, ...) is streamed to a
temporary file that is removed afterwards.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

CHUNK = 1024 * 1024


@contextmanager
def local_copy(name: str) -> Iterator[str]:
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        path = ""
    if path and os.path.exists(path):
        yield path
        return
    suffix = os.path.splitext(name)[1]
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as temp:
        with default_storage.open(name, "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                temp.write(chunk)
    try:
        yield temp.name
    finally:
        os.unlink(temp.name)


def sha256_of(handle: File) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in handle.chunks(CHUNK):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def save(name: str, content: File) -> str:
    """Save and return the name the storage actually used (it may add a suffix)."""
    content.seek(0)
    return default_storage.save(name, content)


def rename(name: str, new_name: str) -> str:
    """Move a stored file to `new_name` (or a free variant of it); return the name used."""
    if isinstance(default_storage, FileSystemStorage):
        target = default_storage.get_available_name(new_name)
        os.replace(default_storage.path(name), default_storage.path(target))
        return target
    with default_storage.open(name, "rb") as source:  # object stores have no rename
        target = default_storage.save(new_name, File(source))
    default_storage.delete(name)
    return target


def delete_quietly(name: str | None) -> None:
    # Called after commit: a file already gone is not an error worth failing over.
    if name:
        with suppress(OSError):
            default_storage.delete(name)
