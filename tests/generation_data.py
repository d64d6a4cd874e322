"""A cooking video with known speech, its real analysis, and a way to store it as a ready video.

The engine analyses the video once per test session (whisper, OCR and MiniLM take
seconds); the generation tests then ask about what it really found. Library tests
store that analysis through the same writer the pipeline uses, so a test gets a
ready video without indexing it again.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VideoAnalysis
from engines.generation.base import VideoContext
from tests.videos import OnScreenText, Scene

# 27 s, five shots (cuts at 5, 12, 18 and 23 s): a pasta recipe, told and captioned.
COOKING_SCENES = [
    Scene(
        5.0,
        "color=c=navy",
        texts=(OnScreenText("Cooking Pasta Recipe"),),
        speech="Today we are cooking pasta with a fresh tomato sauce.",
    ),
    Scene(
        7.0,
        "testsrc2",
        speech="First, boil the water and add a pinch of salt. Then cook the spaghetti for ten minutes.",
    ),
    Scene(
        6.0,
        "color=c=darkred",
        texts=(OnScreenText("Tomato Sauce", y=0.2),),
        speech="Meanwhile, simmer the tomatoes with garlic and olive oil.",
    ),
    Scene(5.0, "mandelbrot", speech="Serve the pasta hot with grated parmesan cheese."),
    Scene(4.0, "color=c=black", texts=(OnScreenText("Subscribe for more recipes"),)),
]
COOKING_CUTS = (5.0, 12.0, 18.0, 23.0)
COOKING_SIZE = (640, 360)


@functools.cache
def analysis_of(path: str) -> VideoAnalysis:
    """The local engine's analysis with the options a generative index has (no CLIP model here)."""
    from engines.local.engine import LocalEngine, LocalEngineConfig

    engine = LocalEngine(LocalEngineConfig())
    try:
        return engine.analyze(
            path,
            probe=engine.probe(path),
            options=frozenset({CONVERSATION, TEXT_IN_VIDEO, LOGO}),
            thumbnails=False,
            progress=lambda stage, fraction: None,
        )
    finally:
        engine.close()


def context_of(analysis: VideoAnalysis, *, key: str = "cooking", **changes: Any) -> VideoContext:
    values: dict[str, Any] = {
        "key": key,
        "duration": analysis.probe.duration,
        "transcript": analysis.transcript,
        "texts": analysis.texts,
        "logos": analysis.logos,
        "shots": analysis.shots,
        "segments": analysis.segments,
    }
    values.update(changes)
    return VideoContext(**values)


def store_ready_video(index: Any, path: Path, analysis: VideoAnalysis) -> Any:
    """A ready video of `index` holding `analysis`, written by the pipeline's own writer."""
    from core import jobs
    from library.indexing import store_analysis
    from library.kinds import INDEXING
    from library.models import Task, TaskStatus, Video

    probe = analysis.probe
    video = Video.objects.create(
        index=index,
        file=f"videos/{index.id}/{path.name}",
        filename=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        duration=probe.duration,
        fps=probe.fps,
        width=probe.width,
        height=probe.height,
        size=probe.size,
        has_audio=probe.has_audio,
    )
    task = Task.objects.create(index=index, video=video, filename=path.name, status=TaskStatus.QUEUED)
    lease = jobs.claim(INDEXING, task.id, worker="generation-tests")
    assert lease is not None
    store_analysis(lease=lease, video=video, analysis=analysis, engine_name="local")
    video.refresh_from_db()
    return video
