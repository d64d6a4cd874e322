"""Where media lives, from the environment: a local folder, or an S3-compatible object store.

The variables are named like django-storages' own settings (README, "Configuration"). A
function rather than inline settings so the tests build the very same storage options for the
object store they start (tests/object_store.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice, env_int, env_secret, env_str

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig

S3_BACKENDS = {"storages.backends.s3.S3Storage", "storages.backends.s3boto3.S3Boto3Storage"}
MiB = 1024 * 1024


def media_storage(backend: str) -> dict[str, object]:
    """The STORAGES["default"] entry for `backend` (STORAGE_BACKEND)."""
    if backend not in S3_BACKENDS:
        return {"BACKEND": backend}
    bucket = env_str("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        raise ImproperlyConfigured(f"STORAGE_BACKEND={backend} needs AWS_STORAGE_BUCKET_NAME.")
    options: dict[str, object] = {
        "bucket_name": bucket,
        # Unset: AWS itself. MinIO, Ceph, R2, moto...: their URL, e.g. http://minio:9000.
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
        "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
        # Unset: boto3's own chain (instance role, ~/.aws, web identity).
        "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,
        "secret_key": env_secret("AWS_SECRET_ACCESS_KEY") or None,
        "addressing_style": env_choice("AWS_S3_ADDRESSING_STYLE", "auto", {"auto", "path", "virtual"}),
        "signature_version": "s3v4",
        "location": env_str("AWS_LOCATION", ""),
        # Objects are private; clients get short-lived presigned URLs (at most 7 days: SigV4's limit).
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600, minimum=60, maximum=7 * 24 * 3600),
        # As on a local disk, a name in use gets a free variant instead of replacing another's object.
        "file_overwrite": False,
        # Reads that go through django-storages' own file object spill to disk past 8 MiB instead
        # of holding a whole video in memory (library/storage.py streams the usual ones itself).
        "max_memory_size": 8 * MiB,
        "transfer_config": _transfer_config(),
    }
    return {"BACKEND": backend, "OPTIONS": options}


def _transfer_config() -> TransferConfig:
    """Multi-part transfers of 5 MiB parts, 4 at a time, whose memory does not grow with the file.

    An upload from an open file reads each part into memory before sending it; s3transfer's
    default lets 10 parts of 8 MiB wait at once. Here an upload peaks at ~30 MiB of Python
    memory for 48 MiB and 96 MiB alike (measured with tracemalloc); downloads write parts to the
    file as they arrive (io queue of 16 x 256 KiB, ~5 MiB). s3transfer grows the part size
    itself past 10,000 parts (S3's limit), i.e. for objects over ~48 GiB.
    """
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(
        multipart_threshold=8 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4, max_io_queue=16
    )
    config.max_in_memory_upload_chunks = 4  # not a parameter of boto3's class, an attribute of its base
    return config


def media_delivery(backend: str) -> str:
    """FRAMEWISE_MEDIA_DELIVERY: how clients fetch media.

    `presigned`: the store's own short-lived signed URLs (the bytes never pass through a web
    process; the store must be reachable by clients). `stream`: our signed /media/ URLs,
    streamed by the web process from the storage with Range support (a store on a private
    network, e.g. MinIO in docker-compose.yml). A local folder can only stream.
    """
    delivery = env_choice(
        "FRAMEWISE_MEDIA_DELIVERY", "presigned" if backend in S3_BACKENDS else "stream", {"presigned", "stream"}
    )
    if delivery == "presigned" and backend not in S3_BACKENDS:
        raise ImproperlyConfigured("FRAMEWISE_MEDIA_DELIVERY=presigned needs an S3 STORAGE_BACKEND.")
    return delivery
