"""A multipart chunk URL is its own authorisation: signed, expiring, and only while its uploader may upload."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from core import accounts
from core.models import Membership
from library import multipart
from library.models import UploadChunk
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


def _create(api: APIClient, size: int) -> dict[str, Any]:
    answer = api.post(
        "/v1.3/assets/multipart-uploads", {"filename": "a.mp4", "type": "video", "total_size": size}, format="json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_a_chunk_url_works_without_a_key_until_tampered_expired_or_its_uploader_leaves(
    api: APIClient, team_key: tuple[Any, str], settings: Any
) -> None:
    settings.FRAMEWISE_MULTIPART_CHUNK_BYTES = 1024
    session = _create(api, 2048 + 10)
    assert session["total_chunks"] == 3
    urls = {item["chunk_index"]: item["url"] for item in session["upload_urls"]}
    assert all(url.startswith("http://testserver/v1.3/assets/multipart-uploads/") for url in urls.values())
    anonymous = APIClient()  # the SDK PUTs chunks with no API key

    first = anonymous.put(urls[1], b"a" * 1024, content_type="application/octet-stream")
    assert first.status_code == 200
    assert first["ETag"] == f'"{hashlib.md5(b"a" * 1024, usedforsecurity=False).hexdigest()}"'
    # The last chunk is the remainder; any other size is refused and nothing is stored.
    assert anonymous.put(urls[3], b"c" * 11, content_type="application/octet-stream").status_code == 400
    assert anonymous.put(urls[3], b"c" * 10, content_type="application/octet-stream").status_code == 200

    tampered = urls[2][:-1] + ("0" if urls[2][-1] != "0" else "1")
    assert anonymous.put(tampered, b"b" * 1024, content_type="application/octet-stream").status_code == 403
    other_chunk = urls[2].replace("/chunks/2/", "/chunks/3/")  # a signature is for one chunk only
    assert anonymous.put(other_chunk, b"b" * 10, content_type="application/octet-stream").status_code == 403
    expired = multipart.chunk_token(session["upload_id"], 2, int(time.time()) - 1)
    expired_url = urls[2].rsplit("/", 2)[0] + f"/2/{expired}"
    assert anonymous.put(expired_url, b"b" * 1024, content_type="application/octet-stream").status_code == 403

    key = team_key[0]
    accounts.membership_remove(actor=SYSTEM, membership=Membership.objects.get(team=key.team, user=key.user))
    gone = anonymous.put(urls[2], b"b" * 1024, content_type="application/octet-stream")
    assert gone.status_code == 404 and gone.json()["code"] == "resource_not_exist"
    assert sorted(UploadChunk.objects.values_list("chunk_index", flat=True)) == [1, 3]


def test_uploads_left_unfinished_expire_with_their_chunks(api: APIClient, settings: Any, run_on_commit: Any) -> None:
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from library.assets_worker import expire_uploads
    from library.models import Asset, MultipartUpload

    settings.FRAMEWISE_MULTIPART_CHUNK_BYTES = 1024
    session = _create(api, 2048)
    assert APIClient().put(session["upload_urls"][0]["url"], b"a" * 1024, content_type="x").status_code == 200
    chunk_file = UploadChunk.objects.get().file.name
    assert default_storage.exists(chunk_file)
    with run_on_commit(execute=True):
        assert expire_uploads(now=timezone.now() + timedelta(days=6)) == 0  # not expired yet
        assert expire_uploads(now=timezone.now() + timedelta(days=8)) == 1
    assert not MultipartUpload.objects.exists() and not Asset.objects.exists() and not UploadChunk.objects.exists()
    assert not default_storage.exists(chunk_file)
