"""A real S3 API on loopback for the tests: moto's server mode in a process of its own.

`moto_server` starts `python -m moto.server` on 127.0.0.1 at a free port once per test
session; `s3_media` gives a test a fresh bucket of it and makes it the media storage, with the
storage options `config/media_storage.py` builds from the same AWS_* variables a deployment
sets. Processes a test starts (workers, web servers) get those variables from `S3Media.env`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.processes import stop

S3_BACKEND = "storages.backends.s3.S3Storage"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class MotoServer:
    url: str

    def client(self) -> Any:
        return boto3.client(
            "s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                requests.get(f"{url}/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start: see {log.name}") from None
                time.sleep(0.1)
        yield MotoServer(url=url)
    finally:
        stop(process, timeout=10)
        log.close()


@dataclass(frozen=True)
class S3Media:
    server: MotoServer
    bucket: str
    delivery: str

    @property
    def env(self) -> dict[str, str]:
        """What a deployment sets; a process started with these stores media in this bucket."""
        return {
            "STORAGE_BACKEND": S3_BACKEND,
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.server.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_S3_REGION_NAME": "us-east-1",
            "FRAMEWISE_MEDIA_DELIVERY": self.delivery,
        }

    def keys(self) -> list[str]:
        pages = self.server.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))

    def head(self, key: str) -> dict[str, Any]:
        return dict(self.server.client().head_object(Bucket=self.bucket, Key=key))


def use_s3_media(
    server: MotoServer, settings: Any, monkeypatch: pytest.MonkeyPatch, *, delivery: str = "presigned"
) -> S3Media:
    """A fresh bucket as this process's media storage, configured as a deployment would be."""
    from config.media_storage import media_delivery, media_storage

    media = S3Media(server=server, bucket=f"media-{uuid.uuid4().hex[:12]}", delivery=delivery)
    server.client().create_bucket(Bucket=media.bucket)
    for name, value in media.env.items():
        monkeypatch.setenv(name, value)
    # Assigning STORAGES resets `default_storage` (Django's setting_changed handler).
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(S3_BACKEND)}
    settings.FRAMEWISE_MEDIA_DELIVERY = media_delivery(S3_BACKEND)
    return media


def files_under(folder: str | Path) -> list[str]:
    root = Path(folder)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
