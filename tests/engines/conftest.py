"""Fixtures for the local engine: videos with known content, a tiny CLIP, one shared analysis.

Models load once per session and the main video is analysed once with every option;
most tests assert on that one analysis, which keeps the suite fast on 2 cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engines.base import ENGINE_OPTIONS, VideoAnalysis
from engines.local.engine import LocalEngine, LocalEngineConfig
from tests.engines.clip_factory import save_random_clip
from tests.videos import OnScreenText, Scene, VideoTruth, make_video

ALL_OPTIONS = frozenset(ENGINE_OPTIONS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "models: loads real models (whisper, RapidOCR, MiniLM); seconds, not ms")


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-videos")


@pytest.fixture(scope="session")
def main_video(video_dir: Path) -> VideoTruth:
    """14 s at 720p, cuts at 5 and 10 s: speech in the first two scenes, captions in all.

    "FREE SHIPPING WORLDWIDE" appears mid-shot on a still picture (at 2 s) and "Learn
    Python" comes and goes mid-shot (11-13 s), so span starts and ends are tested away
    from cuts too; the second scene's moving test pattern exercises the OCR back-off.
    """
    return make_video(
        video_dir / "main.mp4",
        scenes=[
            Scene(
                5.0,
                "color=c=navy",
                texts=(OnScreenText("NIKE AIR MAX", y=0.2), OnScreenText("FREE SHIPPING WORLDWIDE", start=2.0, y=0.6)),
                speech="Welcome to the running shoe store.",
            ),
            Scene(
                5.0,
                "testsrc2",
                texts=(OnScreenText("Cooking Pasta Recipe", y=0.7),),
                speech="Today we are cooking pasta with tomato sauce.",
            ),
            Scene(4.0, "color=c=darkgreen", texts=(OnScreenText("Learn Python in ten minutes", start=1.0, end=3.0),)),
        ],
        size=(1280, 720),
        noise=0.005,
    )


@pytest.fixture(scope="session")
def silent_video(video_dir: Path) -> VideoTruth:
    """An audio track that holds only silence."""
    return make_video(video_dir / "silent.mp4", scenes=[Scene(4.0, "testsrc2")], size=(640, 360))


@pytest.fixture(scope="session")
def mute_video(video_dir: Path) -> VideoTruth:
    """No audio stream at all, and a caption."""
    return make_video(
        video_dir / "mute.mp4",
        scenes=[Scene(4.0, "color=c=maroon", texts=(OnScreenText("Coca-Cola Zero"),))],
        size=(640, 360),
        audio=False,
    )


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_random_clip(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture(scope="session")
def engine(tiny_clip: Path) -> Iterator[LocalEngine]:
    """The engine with every model, the tiny CLIP as its visual model."""
    engine = LocalEngine(LocalEngineConfig(clip_model=str(tiny_clip)))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def progress_calls() -> list[tuple[str, float]]:
    return []


@pytest.fixture(scope="session")
def analysis(engine: LocalEngine, main_video: VideoTruth, progress_calls: list[tuple[str, float]]) -> VideoAnalysis:
    path = str(main_video.path)
    return engine.analyze(
        path,
        probe=engine.probe(path),
        options=ALL_OPTIONS,
        thumbnails=True,
        progress=lambda stage, fraction: progress_calls.append((stage, fraction)),
    )


Analyze = Callable[[LocalEngine, VideoTruth, frozenset[str]], VideoAnalysis]


@pytest.fixture(scope="session")
def analyze() -> Analyze:
    """analyze(engine, video, options): an analysis without thumbnails or progress."""

    def run(engine: LocalEngine, video: VideoTruth, options: frozenset[str]) -> VideoAnalysis:
        path = str(video.path)
        return engine.analyze(
            path, probe=engine.probe(path), options=options, thumbnails=False, progress=lambda stage, fraction: None
        )

    return run
