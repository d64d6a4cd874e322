"""A worker killed at any step of getting a file in place loses nothing and leaks nothing.

A kill is a `_Killed` BaseException raised at the exact point (the lease's exit handler lets
it through untouched, as it would let a process die); the row is then left as a dead worker
leaves it, its lease aged, recovered by the maintenance job and run again. Local copies made
for engines are killed for real: a forked child is SIGKILLed while it holds one.
"""

from __future__ import annotations

import os
import signal
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from core import jobs
from library import pipeline, services, storage
from library.models import Task, TaskStatus, Video
from library.tasks import maintenance
from tests.factories import SYSTEM
from tests.library.conftest import StaticHost


class _Killed(BaseException):
    """The process dies here: no handler runs."""


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    monkeypatch.setattr("core.jobs.async_task", lambda func, *args, **kwargs: found.append((func, args)))
    return found


def _resume(task: Task, settings: Any) -> None:
    """The dead worker's lease runs out; the maintenance job resumes the task; a worker runs it."""
    long_ago = timezone.now() - timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS + 5)
    Task.objects.filter(id=task.id).update(heartbeat_at=long_ago, updated_at=long_ago)
    assert jobs.recover_stale()["resumed"] == 1
    pipeline.task_validate(task_id=task.id)


def _stored_files(index: Any) -> list[str]:
    folder = Path(default_storage.path(f"uploads/{index.id}"))
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def _upload(index: Any, path: Path) -> Task:
    with open(path, "rb") as handle:
        return services.task_create_from_file(
            actor=SYSTEM, index=index, content=File(handle, name=path.name), filename=path.name
        )


@pytest.fixture
def kill_at_the_rename(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dies right after the stored upload is moved to its new name (the file system's rename)."""
    real = os.replace
    moved: dict[str, str] = {}

    def replace_then_die(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        real(source, target, *args, **kwargs)
        if "uploads" in str(source) and not moved:
            moved[str(source)] = str(target)
            raise _Killed

    monkeypatch.setattr(os, "replace", replace_then_die)
    return moved


def test_a_kill_right_after_the_rename_resumes_and_finishes(
    index: Any, short_clips: dict[str, Path], sent: list, settings: Any, kill_at_the_rename: dict[str, str]
) -> None:
    task = _upload(index, short_clips["beach.mp4"])
    with pytest.raises(_Killed):
        pipeline.task_validate(task_id=task.id)
    assert kill_at_the_rename  # the kill happened where it was meant to

    _resume(task, settings)

    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED, (task.error_code, task.error_message)
    assert task.upload.name.endswith(".mp4") and default_storage.exists(task.upload.name)
    assert Video.objects.get(id=task.video_id).file.name == task.upload.name
    assert _stored_files(index) == [os.path.basename(task.upload.name)]


def test_a_kill_right_before_the_rename_resumes_and_finishes(
    index: Any, short_clips: dict[str, Path], sent: list, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def die(*args: Any, **kwargs: Any) -> None:
        raise _Killed

    task = _upload(index, short_clips["city.mp4"])
    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", die)
        with pytest.raises(_Killed):
            pipeline.task_validate(task_id=task.id)

    _resume(task, settings)

    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED, (task.error_code, task.error_message)
    assert default_storage.exists(task.upload.name) and task.upload.name.endswith(".mp4")
    assert _stored_files(index) == [os.path.basename(task.upload.name)]


def _killed_after_the_download_was_stored(index: Any, url: str) -> Task:
    """A URL task whose worker dies right after its download reached storage, before recording it."""
    task = services.task_create_from_url(actor=SYSTEM, index=index, url=url)
    real_save = FileSystemStorage._save

    def save_then_die(self: FileSystemStorage, name: str, content: Any) -> str:
        real_save(self, name, content)
        raise _Killed

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FileSystemStorage, "_save", save_then_die)
        with pytest.raises(_Killed):
            pipeline.task_validate(task_id=task.id)
    assert len(_stored_files(index)) == 1  # the dead attempt's download
    return task


def test_a_download_killed_after_it_was_stored_leaves_one_file(
    index: Any, short_clips: dict[str, Path], sent: list, settings: Any, static_host: StaticHost
) -> None:
    task = _killed_after_the_download_was_stored(index, static_host.publish(short_clips["forest.mp4"], "f.mp4"))

    _resume(task, settings)

    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED, (task.error_code, task.error_message)
    assert _stored_files(index) == [os.path.basename(task.upload.name)]  # no second copy, no orphan


def test_a_task_that_fails_for_good_after_a_killed_download_leaves_no_file(
    index: Any, short_clips: dict[str, Path], sent: list, settings: Any, static_host: StaticHost
) -> None:
    task = _killed_after_the_download_was_stored(index, static_host.publish(short_clips["forest.mp4"], "f.mp4"))
    # No attempt is left: the maintenance job gives up on it (worker_lost).
    long_ago = timezone.now() - timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS + 5)
    Task.objects.filter(id=task.id).update(
        heartbeat_at=long_ago, updated_at=long_ago, attempts=settings.FRAMEWISE_TASK_MAX_ATTEMPTS
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, *args, **kwargs: func())
        assert jobs.recover_stale()["failed"] == 1
    assert Task.objects.get(id=task.id).status == TaskStatus.FAILED
    assert _stored_files(index) == []


# --- local copies for the engines ----------------------------------------------------------------


@pytest.fixture
def remote_storage(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, str]:
    """A stored video in a storage without local paths (as S3): engines get a temporary local copy.

    Returns the folder temporary files go to, and the stored name.
    """
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    name = default_storage.save("uploads/x/video.mp4", ContentFile(b"\x00" * 100_000))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp, name


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def _age_all(folder: Path, seconds: float) -> None:
    then = timezone.now().timestamp() - seconds
    for path in _files_under(folder):
        os.utime(path, (then, then))


@pytest.mark.django_db
def test_a_local_copy_of_a_killed_worker_is_removed_by_the_maintenance_job(
    remote_storage: tuple[Path, str], settings: Any, sent: list
) -> None:
    temp, name = remote_storage
    child = os.fork()
    if child == 0:  # the worker: holds a local copy, then is killed
        try:
            with storage.local_copy(name):
                os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(1)  # never reached
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert len(_files_under(temp)) == 1  # what the dead worker left

    _age_all(temp, settings.FRAMEWISE_TASK_LEASE_SECONDS + 5)
    maintenance()

    assert _files_under(temp) == []


@pytest.mark.django_db
def test_a_local_copy_in_use_survives_the_maintenance_job(
    remote_storage: tuple[Path, str], settings: Any, sent: list
) -> None:
    temp, name = remote_storage
    with storage.local_copy(name) as path:
        _age_all(temp, settings.FRAMEWISE_TASK_LEASE_SECONDS * 100)  # a long indexing run
        maintenance()
        assert Path(path).read_bytes() == b"\x00" * 100_000
    assert _files_under(temp) == []  # removed when done
