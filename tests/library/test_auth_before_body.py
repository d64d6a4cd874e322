"""Authentication comes before the body: an anonymous upload is answered 401 with its body unread.

Every request is counted at the socket's place (the test client's `wsgi.input`): how many bytes
of the body were read, and how many bytes reached a temporary upload file. An unauthenticated
3 MB multipart POST must read none of it, on every API prefix and on paths no route knows (the
rule holds for the prefix, not per route), and the pages refuse an anonymous multipart body the
same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.test.client import FakePayload
from rest_framework.test import APIClient

from library.models import Task
from tests.factories import IndexFactory, MembershipFactory, UserFactory

BODY = 3_000_000  # a 3 MB upload, under every size limit: only authentication can refuse it


class _Counts:
    def __init__(self) -> None:
        self.read = 0  # bytes of request bodies read by the server
        self.spooled = 0  # bytes written to temporary upload files


@pytest.fixture
def counts(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _Counts:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # big files go to temporary files, as in production
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    found = _Counts()
    read, readline, spool = FakePayload.read, FakePayload.readline, TemporaryFileUploadHandler.receive_data_chunk

    def counted_read(self: FakePayload, size: int = -1, /) -> bytes:
        data = read(self, size)
        found.read += len(data)
        return data

    def counted_readline(self: FakePayload, size: int = -1, /) -> bytes:
        data = readline(self, size)
        found.read += len(data)
        return data

    def counted_spool(self: Any, raw_data: bytes, start: int) -> Any:
        found.spooled += len(raw_data)
        return spool(self, raw_data, start)

    monkeypatch.setattr(FakePayload, "read", counted_read)
    monkeypatch.setattr(FakePayload, "readline", counted_readline)
    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counted_spool)
    return found


def _upload(index_id: str = "") -> dict[str, Any]:
    return {"index_id": index_id, "video_file": SimpleUploadedFile("big.mp4", b"\0" * BODY, content_type="video/mp4")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/v1.2/tasks",
        "/v1.1/tasks",
        "/api/v1/tasks/",
        "/v1.2/tasks/external-provider",
        "/v1.2/no-such-route",  # a prefix rule: a route added later (or none) is covered too
        "/api/v1/no-such-route/",
    ],
)
@pytest.mark.parametrize("key", [None, "tlk_not-a-real-key"])
def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(
    counts: _Counts, path: str, key: str | None
) -> None:
    index = IndexFactory()
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_X_API_KEY=key)
    response = client.post(path, _upload(index.id), format="multipart")
    assert response.status_code == 401, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "api_key_invalid"
    assert counts.read == 0 and counts.spooled == 0
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_an_authenticated_upload_is_still_read_and_stored(counts: _Counts, api: APIClient, index: Any) -> None:
    response = api.post("/v1.2/tasks", _upload(index.id), format="multipart")
    assert response.status_code == 201, response.content[:300]
    assert counts.read >= BODY and counts.spooled == BODY
    assert Task.objects.filter(id=response.json()["_id"]).exists()


@pytest.mark.django_db
def test_a_session_upload_is_read(counts: _Counts, index: Any) -> None:
    """The pages upload through /api/v1 with the session cookie: a logged-in user is authenticated."""
    user = MembershipFactory(team=index.team).user
    client = APIClient()
    client.force_login(user)
    response = client.post("/api/v1/tasks/", {"index": index.id, "video_file": _upload()["video_file"]})
    assert response.status_code == 202, response.content[:300]
    assert counts.spooled == BODY


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/library/task/add/", "/indexes/anything/"])
def test_the_pages_refuse_an_anonymous_multipart_body_unread(counts: _Counts, path: str) -> None:
    response = Client().post(path, _upload())
    assert response.status_code == 403, response.content[:300]
    assert counts.read == 0 and counts.spooled == 0


@pytest.mark.django_db
def test_the_login_form_is_still_read(counts: _Counts) -> None:
    UserFactory(username="alice", password="a-long-password-1")
    form = urlencode({"username": "alice", "password": "a-long-password-1"})  # as a browser posts it
    response = Client().post("/login/", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert counts.read > 0
