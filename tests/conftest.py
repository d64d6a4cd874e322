"""Shared fixtures: isolated media, teams with keys, an in-process worker, generated videos."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, IndexFactory
from tests.object_store import moto_server  # noqa: F401 - a session fixture (a real S3 API on loopback)
from tests.videos import Scene, make_video


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _fresh_engine_registry() -> Iterator[None]:
    # Settings overrides of the engine must take effect; the models stay loaded in the
    # engine modules' own caches, so rebuilding the engine object is cheap.
    from library.engine import get_engine

    get_engine.cache_clear()
    yield
    get_engine.cache_clear()


@pytest.fixture
def no_visual_model(settings: Any) -> None:
    """Index and search with neither CLIP nor the concept classifier: `visual` is skipped.

    Request it before the fixtures that index videos, so they are indexed without it.
    """
    settings.FRAMEWISE_ENGINE_OPTIONS = {
        **settings.FRAMEWISE_ENGINE_OPTIONS, "clip_model": "", "visual_concepts": False,
    }  # fmt: skip


@pytest.fixture
def team_key(db: None) -> tuple[Any, str]:
    """(ApiKey, raw key) of a fresh team with an editor."""
    return ApiKeyFactory.create_with_raw()


@pytest.fixture
def api(team_key: tuple[Any, str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=team_key[1])
    client.team = team_key[0].team  # type: ignore[attr-defined]
    return client


@pytest.fixture
def other_api(db: None) -> APIClient:
    """A client of a second team, to prove isolation."""
    key, raw = ApiKeyFactory.create_with_raw()
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    client.team = key.team  # type: ignore[attr-defined]
    return client


@pytest.fixture
def index(api: APIClient) -> Any:
    return IndexFactory(team=api.team)  # type: ignore[attr-defined]


class InlineWorker:
    """Runs enqueued jobs on a background thread, like a one-process django-q2 cluster.

    Every job kind enqueues through `core.jobs.enqueue` (django_q's `async_task`); the fixture routes those calls
    here so tests exercise the real pipeline, asynchronously, without a broker.
    """

    def __init__(self) -> None:
        self.jobs: queue.Queue[tuple[str, tuple[Any, ...]] | None] = queue.Queue()
        self.done: list[str] = []
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def enqueue(self, func: str, *args: Any, **kwargs: Any) -> str:
        self.jobs.put((func, args))
        return f"inline-{len(self.done)}"

    def _run(self) -> None:
        from django.utils.module_loading import import_string

        while (job := self.jobs.get()) is not None:
            func, args = job
            try:
                import_string(func)(*args)
            except BaseException as exc:  # surfaced by wait_idle
                self.errors.append(exc)
            finally:
                self.done.append(func)
                connections.close_all()
                self.jobs.task_done()

    def wait_idle(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.jobs.unfinished_tasks, "worker did not finish in time"
        if self.errors:
            raise self.errors[0]

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=30)


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[InlineWorker]:
    inline = InlineWorker()
    monkeypatch.setattr("core.jobs.async_task", inline.enqueue)  # every job kind enqueues there
    yield inline
    inline.stop()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """For tests inside a rolled-back transaction: run what would run on commit, now."""
    return django_capture_on_commit_callbacks


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """make(name, scenes, **kwargs) -> path; each distinct video is generated once per session.

    The cache key is the whole recipe, not the name: two suites may both want a
    "cooking.mp4" with different scenes. Each recipe gets its own folder, so the file
    keeps the requested name (tests assert on uploaded filenames).
    """
    folder = tmp_path_factory.mktemp("videos")
    cache: dict[str, Path] = {}

    def make(name: str, scenes: list[Scene], **kwargs: Any) -> Path:
        recipe = repr((name, scenes, sorted(kwargs.items())))
        if recipe not in cache:
            variant = folder / f"v{len(cache)}"
            variant.mkdir()
            cache[recipe] = make_video(variant / name, scenes=scenes, **kwargs).path
        return cache[recipe]

    return make


@pytest.fixture(scope="session")
def two_shot_video(videos: Callable[..., Path]) -> Path:
    """6 s, 640x360, a cut at 3 s, a spoken sentence and a caption."""
    from tests.videos import OnScreenText

    return videos(
        "two-shots.mp4",
        [
            Scene(3.0, "testsrc2", texts=(OnScreenText("HELLO FRAMEWISE"),)),
            Scene(3.0, "color=c=red", speech="Cooking pasta today."),
        ],
        size=(640, 360),
    )


@pytest.fixture
def sdk13(live_server: Any, team_key: tuple[Any, str]) -> Any:
    """The official SDK 1.3.x (its own venv) against this live server's /v1.3, with the team's key (tests/sdk13.py)."""
    from tests.sdk13 import Sdk13

    return Sdk13(f"{live_server.url}/v1.3", team_key[1])
