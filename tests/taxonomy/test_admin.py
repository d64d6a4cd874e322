"""The editor's path in the admin: import IAB 3.1, refine prompts, classify, review labels, filter the library."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from taxonomy.admin_actions import SELECTION_KEY
from taxonomy.models import ClassificationRun, Decision, LabelOrigin, RunStatus, Taxonomy, VideoLabel
from tests.factories import SYSTEM, MembershipFactory
from tests.taxonomy.test_iab_import import iab_bytes, needs_iab

pytestmark = pytest.mark.django_db(transaction=True)

RUN_FORM = {
    "options": ["conversation", "text_in_video"],
    "conversation_option": "semantic",
    "min_video_score": 75,
    "min_clip_score": 65,
    "min_duration_ratio": 0.5,
}


@pytest.fixture
def editor(client: Any, team_key: Any) -> Any:
    """The admin session of the user who owns the API key that uploaded the library."""
    client.force_login(team_key[0].user)
    return team_key[0].user


def listed_filenames(client: Any, url: str) -> list[str]:
    page = client.get(url).content.decode()
    return sorted(name for name in ("cooking", "pets", "cars", "fashion", "travel") if f">{name}.mp4<" in page)


@needs_iab
def test_an_editor_imports_iab_classifies_an_index_and_filters_by_a_tier_1_category(
    client: Any, editor: Any, api: Any, index: Any, library: dict[str, str], classify_worker: Any
) -> None:
    upload = SimpleUploadedFile("Content Taxonomy 3.1.tsv", iab_bytes("3.1"))
    imported = client.post(reverse("admin:taxonomy_taxonomy_import"), {"team": api.team.pk, "file": upload})
    assert imported.status_code == 302, imported.content.decode()[:3000]
    taxonomy = Taxonomy.objects.get(team=api.team)
    assert (taxonomy.name, taxonomy.nodes.count()) == ("IAB Content Taxonomy 3.1", 704)
    assert "Import IAB taxonomy (TSV)" in client.get(reverse("admin:taxonomy_taxonomy_changelist")).content.decode()

    # Refine a node's prompts in its change form.
    dogs = taxonomy.nodes.get(code="425")
    change = reverse("admin:taxonomy_taxonomynode_change", args=[dogs.pk])
    assert "Pets &gt; Dogs" in client.get(change).content.decode()
    saved = client.post(change, {"prompt_lines": "dogs\npuppies playing", "option_choices": [], "active": "on"})
    assert saved.status_code == 302
    dogs.refresh_from_db()
    assert dogs.prompts == ["dogs", "puppies playing"] and dogs.prompts_edited

    # "Classify whole library" on the index leads to the form, which queues a run.
    action = client.post(
        reverse("admin:library_index_changelist"), {"action": "classify_whole_library", "_selected_action": [index.id]}
    )
    assert action.status_code == 302 and action["Location"].endswith(f"?indexes={index.id}")
    form = client.get(action["Location"]).content.decode()
    assert "Classify every ready video of" in form and index.name in form
    started = client.post(action["Location"], {"taxonomy": taxonomy.pk, **RUN_FORM})
    assert started.status_code == 302, started.content.decode()[:3000]
    classify_worker.wait_idle()
    run = ClassificationRun.objects.get()
    assert (run.status, run.index_id, run.video_ids, run.created_by) == (RunStatus.SUCCEEDED, index.id, [], editor)
    runs_page = client.get(reverse("admin:taxonomy_classificationrun_changelist")).content.decode()
    assert "100% (7/7)" in runs_page and "whole index" in runs_page

    # The library filtered by a tier-1 category: its labels and its sub-categories' labels.
    pets = taxonomy.nodes.get(code="422")
    videos = reverse("admin:library_video_changelist")
    assert "IAB Content Taxonomy 3.1: Pets" in client.get(videos).content.decode()  # offered as a filter
    assert listed_filenames(client, f"{videos}?label={pets.pk}") == ["pets"]
    travel = taxonomy.nodes.get(code="653")
    assert listed_filenames(client, f"{videos}?label={travel.pk}") == ["travel"]


def test_an_editor_classifies_selected_videos_and_reviews_the_labels(
    client: Any, editor: Any, api: Any, index: Any, library: dict[str, str], classify_worker: Any
) -> None:
    from taxonomy import iab_import
    from tests.taxonomy.conftest import mini_iab_tsv

    taxonomy = iab_import.taxonomy_import_iab(actor=SYSTEM, team=api.team, data=mini_iab_tsv(), name="Slice").taxonomy
    chosen = [library["pets.mp4"], library["cars.mp4"]]
    action = client.post(
        reverse("admin:library_video_changelist"), {"action": "classify_selected_videos", "_selected_action": chosen}
    )
    assert sorted(client.session[SELECTION_KEY]) == sorted(chosen)
    form = client.get(action["Location"]).content.decode()
    assert "Classify 2 selected video(s)." in form and 'name="index"' not in form
    client.post(action["Location"], {"taxonomy": taxonomy.pk, **RUN_FORM})
    classify_worker.wait_idle()
    run = ClassificationRun.objects.get()
    assert sorted(run.video_ids) == sorted(chosen) and run.status == RunStatus.SUCCEEDED
    assert set(VideoLabel.objects.values_list("video_id", flat=True)) == set(chosen)

    # Review: confirm one label, reject another, add one by hand; the list shows the decisions.
    dogs = VideoLabel.objects.get(video_id=library["pets.mp4"], node__code="425")
    repair = VideoLabel.objects.get(video_id=library["cars.mp4"], node__code="34")
    labels = reverse("admin:taxonomy_videolabel_changelist")
    client.post(labels, {"action": "confirm", "_selected_action": [dogs.pk]})
    client.post(labels, {"action": "reject", "_selected_action": [repair.pk]})
    travel = taxonomy.nodes.get(code="653")
    added = client.post(reverse("admin:taxonomy_videolabel_add"), {"video": library["cars.mp4"], "node": travel.pk})
    assert added.status_code == 302, added.content.decode()[:3000]
    dogs.refresh_from_db()
    repair.refresh_from_db()
    hand = VideoLabel.objects.get(video_id=library["cars.mp4"], node=travel)
    assert (dogs.decision, dogs.decided_by) == (Decision.CONFIRMED, editor)
    assert repair.decision == Decision.REJECTED
    assert (hand.origin, hand.decision) == (LabelOrigin.EDITOR, Decision.CONFIRMED)
    page = client.get(f"{labels}?decision__exact=rejected").content.decode()
    assert "Auto Repair" in page and "Dogs" not in page
    detail = client.get(reverse("admin:taxonomy_videolabel_change", args=[dogs.pk])).content.decode()
    for clip in dogs.clips:  # the evidence clips are listed
        assert f"{clip['start']:.1f}–{clip['end']:.1f} s · {clip['option']} · “{clip['prompt']}”" in detail

    # "Run again" keeps the decisions.
    client.post(
        reverse("admin:taxonomy_classificationrun_changelist"), {"action": "run_again", "_selected_action": [run.pk]}
    )
    classify_worker.wait_idle()
    assert ClassificationRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 2
    assert VideoLabel.objects.get(pk=repair.pk).decision == Decision.REJECTED
    assert VideoLabel.objects.get(pk=hand.pk).origin == LabelOrigin.EDITOR


def test_editors_see_only_their_teams_taxonomies(client: Any, api: Any) -> None:
    from taxonomy import iab_import
    from tests.taxonomy.conftest import mini_iab_tsv

    iab_import.taxonomy_import_iab(actor=SYSTEM, team=api.team, data=mini_iab_tsv(), name="Ours")
    stranger = MembershipFactory(role="editor")
    client.force_login(stranger.user)
    assert "Ours" not in client.get(reverse("admin:taxonomy_taxonomy_changelist")).content.decode()
    assert "Pets" not in client.get(reverse("admin:taxonomy_taxonomynode_changelist")).content.decode()
    viewer = MembershipFactory(role="viewer", team=api.team)
    client.force_login(viewer.user)
    assert client.get(reverse("admin:taxonomy_classificationrun_start")).status_code == 403
    assert client.get(reverse("admin:taxonomy_taxonomy_import")).status_code == 403
