"""Media access through Django's storage API only; nothing assumes a disk shared between processes.

`default_storage` is a local folder (the zero-setup default) or an S3-compatible object store
(django-storages, `STORAGE_BACKEND=storages.backends.s3.S3Storage`). A web process stores an
upload there; any worker, on any machine, reads it back from there.

Engines need a local, seekable file (PyAV and the speech process open it by path).
`local_copy` gives one without assuming the storage is a local disk: a file system storage
hands out its own path, an object store is downloaded to a temporary file of the worker's own,
removed afterwards. A worker killed while it holds one cannot remove it, so copies live in one
folder (`copies_dir`), each locked (flock) by the process using it; the maintenance job's
`sweep_copies` removes those nobody holds once they are older than a lease. The kernel drops a
dead process's locks, so a copy in use is never taken away, however long the indexing runs.

django-storages' file object reads a whole object into a buffer on its first read, so for S3
the reads here go to boto3 directly and never hold a whole video in memory: ranged GETs for a
file's head and for served ranges, a managed multi-part download for the local copy, a
server-side copy for a rename.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from library import mediatypes

CHUNK = 1024 * 1024
COPIES_FOLDER = "framewise-copies"
logger = logging.getLogger(__name__)


def object_store() -> S3Storage | None:
    """The S3 storage when media lives in one, else None (a local folder or another storage)."""
    return default_storage if isinstance(default_storage, S3Storage) else None


def _key(store: S3Storage, name: str) -> str:
    # The object key django-storages itself uses for `name` (AWS_LOCATION prefix, no `..`).
    return str(store._normalize_name(clean_name(name)))


def _not_found(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in {"404", "NoSuchKey", "NotFound"}


def copies_dir() -> str:
    """Where local copies live: one folder under the system's temporary directory."""
    folder = os.path.join(tempfile.gettempdir(), COPIES_FOLDER)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


@contextmanager
def local_copy(name: str) -> Iterator[str]:
    store = object_store()
    if store is None:
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
        with os.fdopen(os.dup(descriptor), "wb") as out:
            if store is not None:
                # Multi-part ranged GETs written as they arrive: bounded memory for any size.
                store.bucket.download_fileobj(_key(store, name), out, Config=store.transfer_config)
            else:
                with default_storage.open(name, "rb") as source:
                    for chunk in iter(lambda: source.read(CHUNK), b""):
                        out.write(chunk)
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


def size(name: str) -> int:
    """The stored file's size in bytes; FileNotFoundError if there is none."""
    store = object_store()
    if store is None:
        return int(default_storage.size(name))
    try:
        head = store.connection.meta.client.head_object(Bucket=store.bucket_name, Key=_key(store, name))
    except ClientError as error:
        if _not_found(error):
            raise FileNotFoundError(name) from None
        raise
    return int(head["ContentLength"])


def iter_range(name: str, start: int, end: int, *, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """Bytes `start`..`end` (inclusive) of a stored file, `chunk` bytes at a time."""
    store = object_store()
    if store is None:
        with default_storage.open(name, "rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                data = handle.read(min(chunk, remaining))
                if not data:
                    return
                remaining -= len(data)
                yield data
        return
    answer = store.connection.meta.client.get_object(
        Bucket=store.bucket_name, Key=_key(store, name), Range=f"bytes={start}-{end}"
    )
    body = answer["Body"]
    try:
        yield from body.iter_chunks(chunk)
    finally:
        body.close()


def read_head(name: str, length: int) -> bytes:
    """The first `length` bytes of a stored file (fewer if it is shorter)."""
    return b"".join(iter_range(name, 0, length - 1))


def sha256_of(handle: File) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in handle.chunks(CHUNK):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


class _Typed(File):
    """`content` with the Content-Type an object store records for it.

    django-storages stores an upload with the type its client declared, or one guessed from
    the name; neither was decoded. Every object gets the type of its extension, the one we
    gave it (library/mediatypes.py): an upload not yet decoded is opaque bytes.
    """

    def __init__(self, content: File, content_type: str) -> None:
        super().__init__(content, name=content.name)
        self.content_type = content_type


def save(name: str, content: File) -> str:
    """Save and return the name the storage actually used (it may add a suffix).

    An object store gets the bytes in multi-part uploads read from `content` as they go
    (an upload over FILE_UPLOAD_MAX_MEMORY_SIZE is a temporary file already): never the
    whole file in memory.
    """
    content.seek(0)
    if object_store() is not None:
        content = _Typed(content, mediatypes.content_type_of(name))
    return default_storage.save(name, content)


def move(name: str, new_name: str) -> None:
    """Move a stored file to exactly `new_name`, replacing what is there (a killed attempt's copy).

    Exact, so that a worker resuming after a kill finds the file by a name it can predict.
    """
    if name == new_name:
        return
    store = object_store()
    if store is not None:
        # Object stores have no rename: a copy inside the store (no bytes through this
        # process; multi-part for big objects), typed by its new extension, then a delete.
        store.bucket.copy(
            {"Bucket": store.bucket_name, "Key": _key(store, name)},
            _key(store, new_name),
            ExtraArgs={"ContentType": mediatypes.content_type_of(new_name), "MetadataDirective": "REPLACE"},
            Config=store.transfer_config,
        )
        default_storage.delete(name)
        return
    if isinstance(default_storage, FileSystemStorage):
        os.replace(default_storage.path(name), default_storage.path(new_name))
        return
    with default_storage.open(name, "rb") as source:
        if default_storage.exists(new_name):
            default_storage.delete(new_name)
        default_storage.save(new_name, File(source))
    default_storage.delete(name)


def rename(name: str, new_name: str) -> str:
    """Move a stored file to `new_name` (or a free variant of it); return the name used."""
    target = default_storage.get_available_name(new_name)
    move(name, target)
    return target


def exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def signed_url(name: str, *, content_type: str, disposition: str, ttl: int | None = None) -> str:
    """The object store's presigned GET URL, answered with our Content-Type and Content-Disposition."""
    store = object_store()
    assert store is not None, "presigned URLs need an S3 storage (settings refuse the combination)"
    parameters: dict[str, Any] = {"ResponseContentType": content_type, "ResponseContentDisposition": disposition}
    return str(store.url(name, parameters=parameters, expire=ttl))


def delete_quietly(name: str | None) -> None:
    # Called after commit: a file already gone is not an error worth failing over, and an
    # object store that cannot be reached now leaves garbage, not a broken library.
    if not name:
        return
    with suppress(OSError):
        try:
            default_storage.delete(name)
        except (BotoCoreError, ClientError):
            logger.warning("Could not delete %s from the object store; it stays as garbage.", name, exc_info=True)
