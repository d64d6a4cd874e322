"""Fixtures for the pages: team members who log in, and videos indexed by the real pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files import File

from core.models import Membership
from library import services
from library.models import Index, Video
from tests.factories import SYSTEM, IndexFactory, MembershipFactory
from tests.videos import OnScreenText, Scene

if TYPE_CHECKING:
    from tests.conftest import InlineWorker

PASSWORD = "pw-12345-long"  # tests.factories.UserFactory's password


@pytest.fixture
def editor(db: None) -> Membership:
    return MembershipFactory(role="editor")


@pytest.fixture
def outsider(db: None) -> Membership:
    """An editor of another team: must see nothing of `editor`'s team."""
    return MembershipFactory(role="editor")


@pytest.fixture
def library_index(editor: Membership) -> Index:
    return IndexFactory(team=editor.team, name="Newsroom clips")


@pytest.fixture(scope="session")
def cooking_video(videos: Callable[..., Path]) -> Path:
    """8 s: a captioned title card, then a cut to a spoken cooking line."""
    return videos(
        "cooking.mp4",
        [
            Scene(4.0, "testsrc2", texts=(OnScreenText("PASTA NIGHT"),)),
            Scene(4.0, "color=c=darkred", speech="Boil the water and add the spaghetti."),
        ],
        size=(640, 360),
    )


def index_file(index: Index, path: Path, worker: InlineWorker, *, name: str | None = None) -> Video:
    """Upload `path` as the demo data is uploaded and wait for the real pipeline to index it."""
    with open(path, "rb") as handle:
        task = services.task_create_from_file(
            actor=SYSTEM, index=index, content=File(handle, name=path.name), filename=name or path.name
        )
    worker.wait_idle(timeout=180)
    task.refresh_from_db()
    assert task.status == "ready", (task.error_code, task.error_message)
    return Video.objects.get(id=task.video_id)


@pytest.fixture
def indexed(worker: InlineWorker) -> Callable[..., Video]:
    def index_it(index: Index, path: Path, **kwargs: Any) -> Video:
        return index_file(index, path, worker, **kwargs)

    return index_it


# The browser fixtures live in their own module; importing them here registers them.
from tests.pages.browser import browser, chromium  # noqa: E402, F401


@pytest.fixture
def classify(worker: InlineWorker, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """classify(taxonomy, index, **thresholds): a real classification run through the worker."""
    from taxonomy import run_services
    from taxonomy.models import RunStatus
    from taxonomy.scoring import Thresholds

    def run(
        taxonomy: Any,
        index: Index,
        *,
        options: tuple[str, ...] = ("conversation", "text_in_video"),
        **thresholds: float,
    ) -> Any:
        created = run_services.run_create(
            actor=SYSTEM, taxonomy=taxonomy, index=index, options=options, thresholds=Thresholds(**thresholds)
        )
        worker.wait_idle(timeout=180)
        created.refresh_from_db()
        assert created.status == RunStatus.SUCCEEDED, (created.error_code, created.error_message)
        return created

    return run


@pytest.fixture
def labeled(
    editor: Membership,
    library_index: Index,
    indexed: Callable[..., Video],
    classify: Callable[..., Any],
    cooking_video: Path,
    two_shot_video: Path,
) -> dict[str, Any]:
    """Two indexed videos classified against a small tree: Food (> Pasta) and Greetings."""
    from taxonomy import services as taxonomy_services
    from taxonomy.params import ClassSpec

    cooking = indexed(library_index, cooking_video)
    two_shots = indexed(library_index, two_shot_video)
    taxonomy = taxonomy_services.taxonomy_save_classes(
        actor=SYSTEM,
        team=editor.team,
        name="Shows",
        classes=[
            ClassSpec("Food", ("food", "cooking a meal"), ()),
            ClassSpec("Greetings", ("hello", "welcome"), ()),
        ],
    )
    food = taxonomy.nodes.get(name="Food")
    pasta = taxonomy_services.node_create(
        actor=SYSTEM,
        taxonomy=taxonomy,
        name="Pasta",
        prompts=["spaghetti", "cooking pasta"],
        options=["conversation", "text_in_video"],
        parent=food,
    )
    # Generated clips are short and plain: thresholds low enough that they earn labels.
    classify(taxonomy, library_index, min_video_score=40, min_clip_score=30, min_duration_ratio=0.1)
    from taxonomy.models import VideoLabel

    food_videos = set(VideoLabel.objects.filter(node__in=[food, pasta]).values_list("video_id", flat=True))
    return {
        "cooking": cooking,
        "two_shots": two_shots,
        "taxonomy": taxonomy,
        "food": food,
        "pasta": pasta,
        "greetings": taxonomy.nodes.get(name="Greetings"),
        "food_videos": food_videos,
    }
