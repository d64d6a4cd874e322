"""FRAMEWISE_MAX_UPLOAD_BYTES holds on every surface, while the body streams, with a 413 JSON answer.

The storing upload handlers are spied on: a refused request must have written less than its
whole body (nothing at all when its Content-Length already said it was too large).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.management import call_command
from rest_framework.test import APIClient

from library.models import Task
from taxonomy import iab
from taxonomy.iab import TaxonomyFileError, parse_iab_tsv
from tests.factories import IndexFactory, UserFactory

LIMIT = 200_000
STREAMED = 600_000  # over the limit, but its Content-Length is within limit + form overhead
DECLARED = 3_000_000  # its Content-Length alone is over the limit


@pytest.fixture
def written(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """Bytes written to temporary upload files (requests this large never stay in memory)."""
    settings.FRAMEWISE_MAX_UPLOAD_BYTES = LIMIT
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # big files go to temporary files, as in production
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    counted: list[int] = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def spy(self: Any, raw_data: bytes, start: int) -> Any:
        counted.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", spy)
    return counted


def _video(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.mp4", b"\0" * size, content_type="video/mp4")


def _assert_refused(response: Any, written: list[int], *, size: int) -> None:
    assert response.status_code == 413, response.content[:300]
    body = response.json()
    assert body["code"] == "video_file_too_large" and str(LIMIT) in body["message"]
    assert sum(written) <= LIMIT < size  # less than the whole body reached storage
    assert not Task.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [STREAMED, DECLARED])
def test_v12_tasks(api: APIClient, index: Any, written: list[int], size: int) -> None:
    response = api.post("/v1.2/tasks", {"index_id": index.id, "video_file": _video(size)}, format="multipart")
    _assert_refused(response, written, size=size)
    if size == DECLARED:
        assert written == []  # refused on its Content-Length, before reading the body


@pytest.mark.django_db
@pytest.mark.parametrize("size", [STREAMED, DECLARED])
def test_native_api_tasks(api: APIClient, index: Any, written: list[int], size: int) -> None:
    response = api.post("/api/v1/tasks/", {"index": index.id, "video_file": _video(size)}, format="multipart")
    _assert_refused(response, written, size=size)


@pytest.mark.django_db
def test_the_pages_upload(client: Any, written: list[int]) -> None:
    """The library page posts to the native API with the session, asking for JSON."""
    user = UserFactory(is_superuser=True)
    client.force_login(user)
    index = IndexFactory()
    response = client.post(
        "/api/v1/tasks/", {"index": index.id, "video_file": _video(STREAMED)}, HTTP_ACCEPT="application/json"
    )
    _assert_refused(response, written, size=STREAMED)


@pytest.mark.django_db
def test_the_admin_upload_form(client: Any, written: list[int]) -> None:
    client.force_login(UserFactory(is_superuser=True))
    index = IndexFactory()
    response = client.post(
        "/admin/library/task/add/",
        {"index": index.id, "language": "en", "video_file": _video(STREAMED)},
        HTTP_ACCEPT="application/json",
    )
    _assert_refused(response, written, size=STREAMED)
    as_a_page = client.post("/admin/library/task/add/", {"index": index.id, "video_file": _video(STREAMED)})
    assert as_a_page.status_code == 413 and str(LIMIT) in as_a_page.content.decode()


@pytest.mark.django_db
def test_a_file_under_the_limit_still_goes_through(api: APIClient, index: Any, written: list[int]) -> None:
    response = api.post("/v1.2/tasks", {"index_id": index.id, "video_file": _video(LIMIT)}, format="multipart")
    assert response.status_code == 201, response.content
    assert sum(written) == LIMIT


@pytest.mark.django_db
def test_import_folder_skips_a_file_over_the_limit(index: Any, settings: Any, tmp_path: Path, capsys: Any) -> None:
    settings.FRAMEWISE_MAX_UPLOAD_BYTES = LIMIT
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "huge.mp4").write_bytes(b"\0" * STREAMED)
    call_command("import_folder", index.id, str(folder), "--no-wait")
    assert "Skipped huge.mp4" in capsys.readouterr().out
    assert not Task.objects.exists()


class _CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.delivered = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.delivered += len(chunk)
        return chunk


def _big_tsv(rows: int) -> bytes:
    lines = ["Unique ID\tParent\tName\tTier 1", *(f"{n}\t\tCategory {n}\tCategory {n}" for n in range(rows))]
    return ("\n".join(lines) + "\n").encode()


def test_taxonomy_files_are_read_in_chunks_up_to_a_limit() -> None:
    data = _big_tsv(50_000)  # ~1.4 MB
    source = _CountingReader(data)
    with pytest.raises(TaxonomyFileError, match="larger than"):
        parse_iab_tsv(source, limit=100_000)
    assert source.delivered <= 100_001 < len(data)  # stopped reading at the limit
    assert len(parse_iab_tsv(_CountingReader(_big_tsv(100)))) == 100


@pytest.mark.django_db
def test_taxonomy_import_surfaces_refuse_an_oversized_file(
    api: APIClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(iab, "MAX_FILE_BYTES", 50_000)
    data = _big_tsv(5_000)
    response = api.post("/api/v1/taxonomies/import/", {"file": SimpleUploadedFile("big.tsv", data)}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "taxonomy_file_invalid"
    assert "larger than" in response.json()["message"]
    path = tmp_path / "big.tsv"
    path.write_bytes(data)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="larger than"):
        call_command("import_taxonomy", str(path), "--team", api.team.name)  # type: ignore[attr-defined]
