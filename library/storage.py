"""Media access through Django's storage API only.

Engines need a local, seekable file (PyAV and the speech process open it by path).
`local_copy` gives one without assuming the storage is a local disk: a file system
storage hands out its own path, any other storage (S3, ...) is streamed to a
temporary file that is removed afterwards. A worker killed while it holds one cannot remove
it, so copies live in one folder (`copies_dir`), each locked (flock) by the process using it;
the maintenance job's `sweep_copies` removes those nobody holds once they are older than a
lease. The kernel drops a dead process's locks, so a copy in use is never taken away, however
long the indexing runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

CHUNK = 1024 * 1024
COPIES_FOLDER = "framewise-copies"


def copies_dir() -> str:
    """Where local copies live: one folder under the system's temporary directory."""
    folder = os.path.join(tempfile.gettempdir(), COPIES_FOLDER)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


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
    descriptor, temp = tempfile.mkstemp(suffix=suffix, prefix="copy-", dir=copies_dir())
    try:
        # Held until the copy is removed; released by the kernel if this process is killed.
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        with default_storage.open(name, "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                os.write(descriptor, chunk)
        yield temp
    finally:
        with suppress(OSError):
            os.unlink(temp)
        os.close(descriptor)


def sweep_copies(*, older_than: float) -> int:
    """Remove local copies left by killed workers: unlocked and older than `older_than` seconds."""
    folder = copies_dir()
    cutoff = time.time() - older_than
    removed = 0
    for entry in os.scandir(folder):
        try:
            if not entry.is_file() or entry.stat().st_mtime > cutoff:
                continue  # a fresh copy may not be locked yet
            descriptor = os.open(entry.path, os.O_RDONLY)
        except OSError:
            continue  # removed meanwhile
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # in use by a live worker
        else:
            with suppress(OSError):
                os.unlink(entry.path)
                removed += 1
        finally:
            os.close(descriptor)
    return removed


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


def move(name: str, new_name: str) -> None:
    """Move a stored file to exactly `new_name`, replacing what is there (a killed attempt's copy).

    Exact, so that a worker resuming after a kill finds the file by a name it can predict.
    """
    if name == new_name:
        return
    if isinstance(default_storage, FileSystemStorage):
        os.replace(default_storage.path(name), default_storage.path(new_name))
        return
    with default_storage.open(name, "rb") as source:  # object stores have no rename
        if default_storage.exists(new_name):
            default_storage.delete(new_name)
        default_storage.save(new_name, File(source))
    default_storage.delete(name)


def exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def delete_quietly(name: str | None) -> None:
    # Called after commit: a file already gone is not an error worth failing over.
    if name:
        with suppress(OSError):
            default_storage.delete(name)
