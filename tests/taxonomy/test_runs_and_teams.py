"""A run skips a video deleted while it scores; `/classify` over two teams' videos is refused
(issue 20, hole 14).

The deletion happens inside the scoring step (a stand-in for the index's matrices and the
scorer), so the race is reproduced deterministically, not by timing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.models import Role
from engines.base import MediaProbe, VideoAnalysis
from library.models import Video
from taxonomy import run_services, runs, services
from taxonomy.classify import Classification, ClassOnVideo, VideoClasses
from taxonomy.models import ClassifyResultSet, RunStatus, VideoLabel
from taxonomy.params import ClassSpec
from taxonomy.scoring import Thresholds
from tests.factories import SYSTEM, IndexFactory, MembershipFactory, UserFactory
from tests.generation_data import store_ready_video

# Real commits: the label rows' foreign key to the deleted video is checked when the run's
# transaction commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

PROBE = MediaProbe(8.0, 25.0, 640, 360, 100, "mp4", "h264", "aac", True)


def _videos(index: Any, folder: Path, count: int, prefix: str = "clip") -> list[Any]:
    made = []
    for number in range(count):
        path = folder / f"{prefix}-{number}.mp4"
        path.write_bytes(f"stand-in {prefix} {number}".encode())
        made.append(store_ready_video(index, path, VideoAnalysis(probe=PROBE)))
    return made


def test_a_video_deleted_while_the_run_scores_is_skipped(
    api: Any, index: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)  # run_execute is called below
    videos = _videos(index, tmp_path, 3)
    spec = ClassSpec(name="Cooking", prompts=("cooking",), options=())
    taxonomy = services.taxonomy_save_classes(actor=SYSTEM, team=api.team, name="Food", classes=[spec])
    ids = [video.id for video in videos]

    def score_then_lose_a_video(*args: Any, **kwargs: Any) -> Classification:
        Video.objects.filter(id=ids[1]).delete()  # an editor deletes it while the run scores
        found = (ClassOnVideo(0, "Cooking", 80.0, 0.9, False, (), 80.0, 80.0, 0.8),)
        return Classification(videos=[VideoClasses(video_id, found) for video_id in ids], skipped={})

    monkeypatch.setattr(runs, "classify_index", score_then_lose_a_video)
    run = run_services.run_create(
        actor=SYSTEM, taxonomy=taxonomy, index=index, options=["conversation"], thresholds=Thresholds()
    )
    runs.run_execute(run_id=run.id)
    run.refresh_from_db()
    assert (run.status, run.error_code) == (RunStatus.SUCCEEDED, ""), run.error_message
    assert run.videos_done == 3 and run.labels_written == 2
    assert sorted(VideoLabel.objects.values_list("video_id", flat=True)) == sorted([ids[0], ids[2]])


def test_classify_over_two_teams_videos_is_refused(index: Any, tmp_path: Path) -> None:
    """A member of two teams (a session) names videos of both: one result set cannot hold them."""
    user = UserFactory()
    MembershipFactory(user=user, team=index.team, role=Role.EDITOR)
    other = IndexFactory()
    MembershipFactory(user=user, team=other.team, role=Role.EDITOR)
    mine = _videos(index, tmp_path, 1, prefix="mine")
    theirs = _videos(other, tmp_path, 1, prefix="theirs")
    client = APIClient()
    client.force_login(user)
    body = {
        "video_ids": [mine[0].id, theirs[0].id],
        "options": ["conversation"],
        "classes": [{"name": "Cooking", "prompts": ["cooking"]}],
    }
    response = client.post("/v1.2/classify", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "team_mismatch"
    assert not ClassifyResultSet.objects.exists()
    # One team's videos at a time still work.
    alone = client.post("/v1.2/classify", {**body, "video_ids": [mine[0].id]}, format="json")
    assert alone.status_code == 200, alone.content[:300]
    assert ClassifyResultSet.objects.get().team_id == index.team_id
