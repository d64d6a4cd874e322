"""Classification runs over a taxonomy: labels, roll-up, editors' decisions across re-runs, claims and recovery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core import jobs
from core.errors import ApplicationError
from library.models import Video
from taxonomy import iab_import, label_services, run_services, runs, services
from taxonomy.kinds import CLASSIFICATION
from taxonomy.models import ClassificationRun, Decision, LabelOrigin, RunStatus, Taxonomy, TaxonomyNode, VideoLabel
from taxonomy.scoring import Thresholds
from tests.factories import SYSTEM, IndexFactory, TeamFactory
from tests.taxonomy.conftest import CATEGORIES, TIER_1, mini_iab_tsv

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_OPTIONS = ["conversation", "text_in_video"]


@pytest.fixture
def taxonomy(api: Any) -> Taxonomy:
    """The IAB slice, with the prompts an editor would give "Cooking" (its name alone is too terse)."""
    taxonomy = iab_import.taxonomy_import_iab(
        actor=SYSTEM, team=api.team, data=mini_iab_tsv(), name="IAB slice"
    ).taxonomy
    cooking = taxonomy.nodes.get(code="216")
    services.node_update(actor=SYSTEM, node=cooking, prompts=["cooking a meal", "a recipe", "food in the kitchen"])
    return taxonomy


def run(taxonomy: Taxonomy, index: Any, worker: Any, **kwargs: Any) -> ClassificationRun:
    created = run_services.run_create(
        actor=SYSTEM,
        taxonomy=taxonomy,
        index=index,
        options=kwargs.pop("options", TEXT_OPTIONS),
        thresholds=kwargs.pop("thresholds", Thresholds()),
        **kwargs,
    )
    worker.wait_idle()
    created.refresh_from_db()
    return created


def labels_by_video(library: dict[str, str]) -> dict[str, dict[str, VideoLabel]]:
    names = {video_id: name for name, video_id in library.items()}
    found: dict[str, dict[str, VideoLabel]] = {name: {} for name in library}
    for label in VideoLabel.objects.select_related("node"):
        found[names[label.video_id]][label.node.code] = label
    return found


def subtree_codes(taxonomy: Taxonomy, code: str) -> set[str]:
    top = taxonomy.nodes.get(code=code)
    return set(taxonomy.nodes.filter(path__startswith=top.path).values_list("code", flat=True))


def test_a_run_labels_each_video_with_its_category_and_rolls_up_to_ancestors(
    api: Any, index: Any, library: dict[str, str], classify_worker: Any, taxonomy: Taxonomy
) -> None:
    done = run(taxonomy, index, classify_worker)
    assert (done.status, done.progress, done.videos_total, done.videos_done) == (RunStatus.SUCCEEDED, 100, 7, 7)
    assert done.attempts == 1 and done.started_at and done.finished_at and done.error_code == ""
    found = labels_by_video(library)
    assert done.labels_written == sum(map(len, found.values()))
    for category in CATEGORIES:
        codes = set(found[f"{category}.mp4"])
        assert TIER_1[category] in codes, (category, codes)
        assert codes <= subtree_codes(taxonomy, TIER_1[category]), (category, codes)
    assert found["mostly-weather.mp4"] == {}
    assert set(found["kitchen-then-garage.mp4"]) <= subtree_codes(taxonomy, "210") | subtree_codes(taxonomy, "1")
    assert {"425", "424"} <= set(found["pets.mp4"])  # a dog scene and a cat scene

    for labels in found.values():
        for label in labels.values():
            assert label.run_id == done.id and label.decision == Decision.NONE
            assert 75 <= label.score <= 100 and 0.5 <= label.duration_ratio <= 1 and label.clips
            assert label.max_score == max(clip["score"] for clip in label.clips)
            parent = label.node.parent
            if parent is None:
                continue
            # Roll-up: a labeled child implies its parent, whose evidence includes the child's clips.
            above = labels[parent.code]
            assert above.duration_ratio >= label.duration_ratio
            assert {tuple(c.items()) for c in label.clips} <= {tuple(c.items()) for c in above.clips}
            if above.origin == LabelOrigin.ROLLUP:
                assert above.score >= label.score
    cooking = found["cooking.mp4"]["216"]
    assert {clip["prompt"] for clip in cooking.clips} <= {"cooking a meal", "a recipe", "food in the kitchen"}


def test_editor_decisions_survive_re_runs(
    api: Any, index: Any, library: dict[str, str], classify_worker: Any, taxonomy: Taxonomy
) -> None:
    run(taxonomy, index, classify_worker)
    found = labels_by_video(library)
    confirmed = label_services.label_confirm(actor=SYSTEM, label=found["pets.mp4"]["425"])
    rejected = label_services.label_reject(actor=SYSTEM, label=found["pets.mp4"]["424"])
    added = label_services.label_add(
        actor=SYSTEM, video=Video.objects.get(id=library["pets.mp4"]), node=taxonomy.nodes.get(code="653")
    )
    untouched = found["travel.mp4"]["653"]

    # A demanding re-run finds nothing: undecided labels go, decisions stay (without model evidence).
    strict = run(taxonomy, index, classify_worker, thresholds=Thresholds(min_video_score=99.9))
    assert strict.status == RunStatus.SUCCEEDED
    left = {label.id: label for label in VideoLabel.objects.all()}
    assert set(left) == {confirmed.id, rejected.id, added.id}
    assert left[confirmed.id].decision == Decision.CONFIRMED and left[confirmed.id].score is None
    assert left[confirmed.id].clips == [] and left[confirmed.id].run_id == strict.id
    assert left[rejected.id].decision == Decision.REJECTED
    assert (left[added.id].origin, left[added.id].decision) == (LabelOrigin.EDITOR, Decision.CONFIRMED)
    assert not VideoLabel.objects.filter(id=untouched.id).exists()

    # The ordinary re-run brings the evidence back; the rejection still holds and stays hidden.
    run(taxonomy, index, classify_worker)
    again = labels_by_video(library)
    assert again["pets.mp4"]["425"].id == confirmed.id and again["pets.mp4"]["425"].score >= 75
    assert again["pets.mp4"]["425"].decision == Decision.CONFIRMED
    assert again["pets.mp4"]["424"].id == rejected.id and again["pets.mp4"]["424"].decision == Decision.REJECTED
    assert again["pets.mp4"]["424"].score >= 75  # the model still suggests it; the editor said no
    assert not VideoLabel.objects.visible().filter(id=rejected.id).exists()
    assert again["pets.mp4"]["653"].origin == LabelOrigin.EDITOR
    assert "653" in again["travel.mp4"]


def test_running_twice_leaves_the_same_labels(
    api: Any, index: Any, library: dict[str, str], classify_worker: Any, taxonomy: Taxonomy
) -> None:
    first = run(taxonomy, index, classify_worker)
    before = {(l.video_id, l.node_id): (l.id, l.score, l.duration_ratio) for l in VideoLabel.objects.all()}  # noqa: E741
    # A re-delivered job of a finished run finds nothing to claim and writes nothing.
    runs.run_execute(run_id=first.id)
    second = run(taxonomy, index, classify_worker)
    after = {(l.video_id, l.node_id): (l.id, l.score, l.duration_ratio) for l in VideoLabel.objects.all()}  # noqa: E741
    assert after == before
    assert set(VideoLabel.objects.values_list("run_id", flat=True)) == {second.id}


def test_a_run_of_selected_videos_touches_only_them(
    api: Any, index: Any, library: dict[str, str], classify_worker: Any, taxonomy: Taxonomy
) -> None:
    chosen = Video.objects.filter(id__in=[library["pets.mp4"], library["mostly-weather.mp4"]])
    done = run(taxonomy, index, classify_worker, videos=chosen)
    assert (done.videos_total, sorted(done.video_ids)) == (2, sorted(v.id for v in chosen))
    assert set(VideoLabel.objects.values_list("video_id", flat=True)) == {library["pets.mp4"]}


def test_a_second_claim_loses_and_a_dead_workers_run_is_resumed(
    api: Any, index: Any, library: dict[str, str], classify_worker: Any, taxonomy: Taxonomy, monkeypatch: Any
) -> None:
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)  # nobody picks it up
    pending = run_services.run_create(
        actor=SYSTEM, taxonomy=taxonomy, index=index, options=TEXT_OPTIONS, thresholds=Thresholds()
    )
    assert jobs.claim(CLASSIFICATION, pending.id, worker="a") is not None
    assert jobs.claim(CLASSIFICATION, pending.id, worker="b") is None
    runs.run_execute(run_id=pending.id, worker="b")  # a duplicate delivery: no effect
    assert not VideoLabel.objects.exists()

    # Worker "a" died: once its lease is stale the maintenance job queues the run again.
    ClassificationRun.objects.filter(id=pending.id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr("core.jobs.async_task", classify_worker.enqueue)
    assert jobs.recover_stale() == {"resumed": 1, "failed": 0}
    classify_worker.wait_idle()
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == (RunStatus.SUCCEEDED, 2)
    assert VideoLabel.objects.filter(run=pending).exists()

    # A run that keeps losing its worker fails after the attempt limit instead of looping.
    ClassificationRun.objects.filter(id=pending.id).update(
        status=RunStatus.RUNNING, attempts=3, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    assert jobs.recover_stale() == {"resumed": 0, "failed": 1}
    pending.refresh_from_db()
    assert (pending.status, pending.error_code) == (RunStatus.FAILED, "worker_lost")


def test_a_run_that_cannot_score_fails_with_the_reason(
    no_visual_model: None, api: Any, index: Any, library: dict[str, str], classify_worker: Any, taxonomy: Taxonomy
) -> None:
    failed = run(taxonomy, index, classify_worker, options=["visual"])
    assert (failed.status, failed.error_code) == (RunStatus.FAILED, "visual_model_unavailable")
    assert not VideoLabel.objects.exists()
    mixed = run(taxonomy, index, classify_worker, options=["visual", *TEXT_OPTIONS])
    assert mixed.status == RunStatus.SUCCEEDED and "visual" in mixed.skipped_options


def test_runs_are_checked_before_they_are_queued(api: Any, index: Any, taxonomy: Taxonomy) -> None:
    stranger = IndexFactory(team=TeamFactory())
    with pytest.raises(ApplicationError, match="different teams"):
        run_services.run_create(
            actor=SYSTEM, taxonomy=taxonomy, index=stranger, options=TEXT_OPTIONS, thresholds=Thresholds()
        )
    spoken = IndexFactory(team=api.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["conversation"]}])
    with pytest.raises(ApplicationError, match="not indexed with text_in_video"):
        run_services.run_create(
            actor=SYSTEM, taxonomy=taxonomy, index=spoken, options=TEXT_OPTIONS, thresholds=Thresholds()
        )
    TaxonomyNode.objects.filter(taxonomy=taxonomy).update(active=False)
    with pytest.raises(ApplicationError, match="no active nodes"):
        run_services.run_create(
            actor=SYSTEM, taxonomy=taxonomy, index=index, options=TEXT_OPTIONS, thresholds=Thresholds()
        )
    assert not ClassificationRun.objects.exists()
