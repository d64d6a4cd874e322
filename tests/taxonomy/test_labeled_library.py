"""A labeled library over the native API: runs, videos by label, labels with clips, counts, exports, decisions."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from taxonomy.models import Decision, Taxonomy, TaxonomyNode, VideoLabel
from tests.taxonomy.conftest import mini_iab_tsv
from tests.taxonomy.test_iab_import import iab_bytes, needs_iab

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def labeled(api: Any, index: Any, library: dict[str, str], classify_worker: Any) -> Taxonomy:
    """The library classified over the API against the IAB slice (imported over the API too)."""
    upload = SimpleUploadedFile("content-taxonomy-3.1.tsv", mini_iab_tsv())
    imported = api.post("/api/v1/taxonomies/import/", {"file": upload, "name": "IAB slice"}, format="multipart")
    assert imported.status_code == 200, imported.content
    assert imported.json()["created"] == 11 and imported.json()["taxonomy"]["version"] == "3.1"
    taxonomy = Taxonomy.objects.get(id=imported.json()["taxonomy"]["id"])
    cooking = taxonomy.nodes.get(code="216")
    edited = api.patch(
        f"/api/v1/taxonomy-nodes/{cooking.id}/", {"prompts": ["cooking a meal", "a recipe"]}, format="json"
    )
    assert edited.json()["prompts"] == ["cooking a meal", "a recipe"] and edited.json()["prompts_edited"] is True

    started = api.post(
        "/api/v1/classification-runs/",
        {"taxonomy": taxonomy.id, "index": index.id, "options": ["conversation", "text_in_video"]},
        format="json",
    )
    assert started.status_code == 202, started.content
    assert started["Location"] == f"/api/v1/classification-runs/{started.json()['id']}/"
    classify_worker.wait_idle()
    finished = api.get(started["Location"]).json()
    assert (finished["status"], finished["progress"], finished["videos_total"]) == ("succeeded", 100.0, 7)
    return taxonomy


def node(taxonomy: Taxonomy, code: str) -> TaxonomyNode:
    return taxonomy.nodes.get(code=code)


def video_names(api: Any, index: Any, library: dict[str, str], node_id: int) -> list[str]:
    names = {video_id: name for name, video_id in library.items()}
    response = api.get("/api/v1/labels/videos/", {"index": index.id, "node": node_id})
    assert response.status_code == 200, response.content
    return sorted(names[row["id"]] for row in response.json()["results"])


def test_videos_are_filtered_by_a_node_and_its_whole_subtree(
    api: Any, index: Any, library: dict[str, str], labeled: Taxonomy
) -> None:
    assert video_names(api, index, library, node(labeled, "422").id) == ["pets.mp4"]  # Pets
    assert video_names(api, index, library, node(labeled, "425").id) == ["pets.mp4"]  # Pets > Dogs
    assert "cars.mp4" in video_names(api, index, library, node(labeled, "1").id)  # Automotive
    assert video_names(api, index, library, node(labeled, "653").id) == ["travel.mp4"]

    # A label added by hand on a sub-category puts the video under the tier-1 category too.
    dogs = node(labeled, "425")
    added = api.post("/api/v1/labels/", {"video": library["travel.mp4"], "node": dogs.id}, format="json")
    assert added.status_code == 201 and added.json()["origin"] == "editor" and added.json()["decision"] == "confirmed"
    assert video_names(api, index, library, node(labeled, "422").id) == ["pets.mp4", "travel.mp4"]
    # Rejecting it takes the video out again.
    rejected = api.post(f"/api/v1/labels/{added.json()['id']}/reject/")
    assert rejected.json()["decision"] == "rejected"
    assert video_names(api, index, library, node(labeled, "422").id) == ["pets.mp4"]


def test_labels_of_a_video_come_with_their_clips_and_decisions(
    api: Any, team_key: Any, index: Any, library: dict[str, str], labeled: Taxonomy
) -> None:
    body = api.get("/api/v1/labels/", {"video": library["pets.mp4"]}).json()
    labels = {row["node"]["code"]: row for row in body["results"]}
    assert {"422", "424", "425"} <= set(labels)
    dogs = labels["425"]
    assert dogs["node"] == {"id": node(labeled, "425").id, "code": "425", "name": "Dogs", "name_path": "Pets > Dogs",
                            "depth": 2, "taxonomy": "IAB slice"}  # fmt: skip
    assert dogs["origin"] == "model" and dogs["decision"] == "" and dogs["score"] >= 75
    assert dogs["clips"] and all(set(c) == {"start", "end", "score", "option", "prompt"} for c in dogs["clips"])

    confirmed = api.post(f"/api/v1/labels/{dogs['id']}/confirm/").json()
    # A key acts as the user who created it.
    assert (confirmed["decision"], confirmed["decided_by"]) == ("confirmed", team_key[0].user.username)
    api.post(f"/api/v1/labels/{labels['424']['id']}/reject/")
    visible = {
        row["node"]["code"] for row in api.get("/api/v1/labels/", {"video": library["pets.mp4"]}).json()["results"]
    }
    assert "424" not in visible and "425" in visible
    everything = api.get("/api/v1/labels/", {"video": library["pets.mp4"], "include_rejected": "true"}).json()
    assert "424" in {row["node"]["code"] for row in everything["results"]}
    reset = api.post(f"/api/v1/labels/{labels['424']['id']}/reset/")
    assert reset.json()["decision"] == ""


def test_label_counts_per_node_count_subtrees(api: Any, index: Any, library: dict[str, str], labeled: Taxonomy) -> None:
    response = api.get("/api/v1/labels/counts/", {"index": index.id, "taxonomy": labeled.id})
    counts = {row["code"]: row for row in response.json()}
    assert len(counts) == 11
    visible = VideoLabel.objects.visible().filter(node__taxonomy=labeled)
    for code, row in counts.items():
        direct = set(visible.filter(node__code=code).values_list("video_id", flat=True))
        assert row["direct"] == len(direct)
        below = node(labeled, code)
        subtree = set(visible.filter(node__path__startswith=below.path).values_list("video_id", flat=True))
        assert row["videos"] == len(subtree)
    assert (
        counts["422"]["videos"] == 1
        and counts["422"]["depth"] == 1
        and counts["425"]["parent_id"] == node(labeled, "422").id
    )


def test_an_index_labels_export_as_json_and_csv(
    api: Any, index: Any, library: dict[str, str], labeled: Taxonomy
) -> None:
    total = VideoLabel.objects.visible().count()
    as_json = api.get("/api/v1/labels/export/", {"index": index.id, "taxonomy": labeled.id})
    assert as_json["Content-Disposition"] == f'attachment; filename="labels-{index.id}-{labeled.id}.json"'
    rows = json.loads(b"".join(as_json.streaming_content))["labels"]  # streamed, never built in memory
    assert len(rows) == total
    pets = [row for row in rows if row["filename"] == "pets.mp4" and row["node_code"] == "425"]
    assert pets[0]["node_path"] == "Pets > Dogs" and pets[0]["clips"] and pets[0]["origin"] == "model"

    as_csv = api.get("/api/v1/labels/export/", {"index": index.id, "format": "csv"})
    assert as_csv["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(b"".join(as_csv.streaming_content).decode())))
    assert len(table) == total
    assert [(r["video_id"], r["node_code"]) for r in table] == [(r["video_id"], r["node_code"]) for r in rows]
    assert json.loads(table[0]["clips"]) == rows[0]["clips"]
    assert as_csv["Content-Disposition"] == f'attachment; filename="labels-{index.id}.csv"'
    missing = api.get("/api/v1/labels/export/", {"index": "0" * 24, "format": "csv"})
    assert (missing.status_code, missing["Content-Type"], missing.json()["code"]) == (
        404,
        "application/json",
        "resource_not_exist",
    )


def test_another_team_sees_none_of_it(
    api: Any, other_api: Any, index: Any, library: dict[str, str], labeled: Taxonomy
) -> None:
    pets = node(labeled, "422")
    assert other_api.get("/api/v1/labels/").json()["count"] == 0
    assert other_api.get("/api/v1/taxonomies/").json()["count"] == 0
    assert other_api.get("/api/v1/labels/videos/", {"index": index.id, "node": pets.id}).status_code == 404
    assert other_api.get("/api/v1/labels/export/", {"index": index.id}).status_code == 404
    label = VideoLabel.objects.filter(node=pets).first()
    assert other_api.post(f"/api/v1/labels/{label.id}/reject/").status_code == 404
    assert label.decision == Decision.NONE
    hand = other_api.post("/api/v1/labels/", {"video": library["pets.mp4"], "node": pets.id}, format="json")
    assert hand.status_code == 404
    body = {"taxonomy": labeled.id, "index": index.id, "options": ["conversation"]}
    run = other_api.post("/api/v1/classification-runs/", body, format="json")
    assert run.status_code == 404


def test_flat_classes_become_a_taxonomy_of_depth_one(api: Any) -> None:
    classes = [{"name": "Cooking", "prompts": ["a recipe"]}, {"name": "Pets", "prompts": ["dogs", "cats"]}]
    created = api.post("/api/v1/taxonomies/", {"name": "TikTok", "classes": classes}, format="json")
    assert created.status_code == 201, created.content
    nodes = api.get("/api/v1/taxonomy-nodes/", {"taxonomy": created.json()["id"]}).json()["results"]
    assert [(n["name"], n["depth"], n["prompts"]) for n in nodes] == [
        ("Cooking", 1, ["a recipe"]),
        ("Pets", 1, ["dogs", "cats"]),
    ]
    again = api.post("/api/v1/taxonomies/", {"name": "TikTok", "classes": classes[1:]}, format="json")
    assert again.json()["id"] == created.json()["id"]
    assert [
        n["active"] for n in api.get("/api/v1/taxonomy-nodes/", {"taxonomy": again.json()["id"]}).json()["results"]
    ] == [
        False,
        True,
    ]


@needs_iab
def test_the_real_iab_file_imports_over_the_api(api: Any) -> None:
    upload = SimpleUploadedFile("content-taxonomy-3.1.tsv", iab_bytes("3.1"))
    body = api.post("/api/v1/taxonomies/import/", {"file": upload}, format="multipart").json()
    assert (body["created"], body["taxonomy"]["name"], body["taxonomy"]["node_count"]) == (
        704,
        "IAB Content Taxonomy 3.1",
        704,
    )
    roots = api.get("/api/v1/taxonomy-nodes/", {"taxonomy": body["taxonomy"]["id"], "depth": 1, "page_size": 100})
    assert roots.json()["count"] == 37
    broken = api.post(
        "/api/v1/taxonomies/import/", {"file": SimpleUploadedFile("x.tsv", b"nope")}, format="multipart"
    ).json()
    assert broken["code"] == "taxonomy_file_invalid"
