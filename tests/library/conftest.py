"""Fixtures for the library tests: short test videos, a local web host for URL uploads, and the
cooking video the generation tests share (generated, analysed once per module, stored ready)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engines.base import VideoAnalysis
from library.models import Video
from tests.api_checks import Library, make_library
from tests.generation_data import COOKING_SCENES, COOKING_SIZE, analysis_of, store_ready_video
from tests.videos import Scene

# Distinct content (so no upload is taken for a duplicate of another), 640x360, 4-5 s.
SHORT_CLIPS: dict[str, list[Scene]] = {
    "beach.mp4": [Scene(4.0, "testsrc2")],
    "city.mp4": [Scene(2.0, "color=c=navy"), Scene(2.5, "mandelbrot")],
    "forest.mp4": [Scene(4.0, "color=c=green")],
}


@pytest.fixture(scope="session")
def short_clips(videos: Callable[..., Path]) -> dict[str, Path]:
    """name -> path of three short, silent, distinct videos."""
    return {name: videos(name, scenes, size=(640, 360), audio=False) for name, scenes in SHORT_CLIPS.items()}


@dataclass(frozen=True)
class StaticHost:
    """A plain HTTP server on 127.0.0.1 serving the files of `folder` at `url`."""

    folder: Path
    url: str

    def publish(self, source: Path, name: str) -> str:
        (self.folder / name).write_bytes(source.read_bytes())
        return f"{self.url}/{name}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def static_host(tmp_path: Path, settings: Any) -> Iterator[StaticHost]:
    # A loopback server is not a public address: the guarded fetcher reaches it only when allowed.
    # It serves video sources and search query images, each allowed by its own setting.
    settings.FRAMEWISE_OUTBOUND_ALLOW = settings.FRAMEWISE_SEARCH_MEDIA_ALLOW = ["127.0.0.0/8"]
    folder = tmp_path / "hosted"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield StaticHost(folder=folder, url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def cooking_path(videos: Callable[..., Path]) -> Path:
    return videos("cooking.mp4", COOKING_SCENES, size=COOKING_SIZE)


@pytest.fixture(scope="module")
def cooking_analysis(cooking_path: Path) -> VideoAnalysis:
    return analysis_of(str(cooking_path))


@pytest.fixture
def video(index: Any, cooking_path: Path, cooking_analysis: VideoAnalysis) -> Video:
    return store_ready_video(index, cooking_path, cooking_analysis)


@pytest.fixture
def library(api: Any) -> Library:
    """The API client's team: an index with a ready video (rows only) and its task."""
    return make_library(api.team)
