"""A generated corpus with known speech and on-screen text, indexed through the real pipeline.

Two videos of three 6 s scenes. Every scene has one espeak-ng sentence and one drawn
caption on unrelated topics, so a query can be true of exactly one scene. Queries are
the paraphrases and quoted words of bench/search_calibration.py (whose sentences
whisper tiny.en transcribes as written, except where noted).

Indexing runs through POST /v1.2/tasks and the worker, with the real local engine;
`cached_analysis` memoises the engine's `analyze` by file content for the session, so
only the first test that uploads a video pays for the models (the pipeline, the
database writes and the search are real in every test).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engines.base import VideoAnalysis
from engines.local.engine import LocalEngine
from tests.library.test_ingest import upload
from tests.videos import OnScreenText, Scene

SCENE_SECONDS = 6.0


@dataclass(frozen=True)
class Moment:
    """One scene's content and the queries that must find it."""

    video: str
    scene: int
    sentence: str
    paraphrase: str
    quoted: str  # words of the sentence as whisper writes them: exact_match must find them
    caption: str
    caption_query: str

    @property
    def start(self) -> float:
        return self.scene * SCENE_SECONDS

    @property
    def end(self) -> float:
        return self.start + SCENE_SECONDS


MOMENTS = [
    Moment("kitchen.mp4", 0, "Today we are cooking pasta with tomato sauce.", "a recipe for spaghetti with red sauce",
           "cooking pasta with tomato sauce", "STUDY ABROAD PARIS", "Paris"),
    Moment("kitchen.mp4", 1, "The football team won the championship last night.", "the soccer club won the final",
           "won the championship", "SUMMER SALE 50% OFF", "summer sale"),
    Moment("kitchen.mp4", 2, "The weather will be rainy and cold tomorrow morning.",
           "the forecast says wet and chilly weather", "rainy and cold", "LEARN PYTHON", "Learn Python"),
    Moment("hiking.mp4", 0, "Show me what it looks like to throw like a girl.", "throwing a ball like a girl",
           "throw like a girl", "COCA-COLA ZERO", "Coca Cola"),
    Moment("hiking.mp4", 1, "The doctor says you should drink more water every day.",
           "the physician recommends staying hydrated", "drink more water", "BREAKING NEWS", "breaking news"),
    Moment("hiking.mp4", 2, "We hiked to the top of the mountain and saw the sunrise.", "climbing a peak at dawn",
           "top of the mountain", "GRAND OPENING", "grand opening"),
]  # fmt: skip
BACKGROUNDS = {"kitchen.mp4": ["color=c=navy", "testsrc2", "color=c=darkgreen"],
               "hiking.mp4": ["color=c=maroon", "mandelbrot", "color=c=0x303030"]}  # fmt: skip
UNRELATED = ["a purple elephant juggling", "quantum physics lecture", "knitting a wool scarf", "a jazz saxophone solo"]


def scenes(video: str) -> list[Scene]:
    built = []
    for moment in (m for m in MOMENTS if m.video == video):
        # "LEARN PYTHON" shows mid-shot (1-4 s of its scene): clip bounds must follow the text, not the cell.
        timing = {"start": 1.0, "end": 4.0} if moment.caption == "LEARN PYTHON" else {}
        caption = OnScreenText(moment.caption, y=0.3, size=0.1, **timing)
        built.append(Scene(SCENE_SECONDS, BACKGROUNDS[video][moment.scene], texts=(caption,), speech=moment.sentence))
    return built


_analyses: dict[tuple[str, frozenset[str], bool, str, bool], VideoAnalysis] = {}


@pytest.fixture
def cached_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local engine's analysis of a file, computed once per session per content, options and CLIP model."""
    real = LocalEngine.analyze

    def analyze(self: LocalEngine, path: str, *, options: frozenset[str], thumbnails: bool, **kwargs: Any) -> Any:
        key = (
            hashlib.sha256(Path(path).read_bytes()).hexdigest(), options, thumbnails, self.config.clip_model,
            self.config.visual_concepts,
        )  # fmt: skip
        if key not in _analyses:
            _analyses[key] = real(self, path, options=options, thumbnails=thumbnails, **kwargs)
        return _analyses[key]

    monkeypatch.setattr(LocalEngine, "analyze", analyze)


@pytest.fixture
def corpus_paths(videos: Callable[..., Path]) -> dict[str, Path]:
    return {name: videos(name, scenes(name), size=(960, 540)) for name in ("kitchen.mp4", "hiking.mp4")}


@pytest.fixture
def corpus(api: Any, index: Any, worker: Any, cached_analysis: None, corpus_paths: dict[str, Path]) -> Iterator[dict]:
    """name -> video id of the two corpus videos, ready in `index`."""
    from library.models import Task

    task_ids = {name: upload(api, index.id, path) for name, path in corpus_paths.items()}
    worker.wait_idle(timeout=300)
    yield {name: Task.objects.get(id=task_id).video_id for name, task_id in task_ids.items()}


@pytest.fixture(scope="session")
def tiny_clip_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 16-d CLIP (tests/engines/clip_factory.py): real code paths, no semantics."""
    from tests.engines.clip_factory import save_random_clip

    return save_random_clip(tmp_path_factory.mktemp("search-clip"))


@pytest.fixture
def with_clip(settings: Any, tiny_clip_model: Path) -> Path:
    """Index and search with the tiny CLIP, so `visual` has vectors."""
    settings.FRAMEWISE_ENGINE_OPTIONS = {**settings.FRAMEWISE_ENGINE_OPTIONS, "clip_model": str(tiny_clip_model)}
    return tiny_clip_model
