"""Caps on what a client can make the server store or score, and a streamed label export
(issue 20, hole 10): merged user_metadata, classes and prompts of a native taxonomy,
prompts and videos of a run; `/api/v1/labels/export/` never builds the export in memory."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import ApplicationError
from engines.base import MediaProbe, VideoAnalysis
from taxonomy import label_services, services
from taxonomy.models import ClassificationRun, Taxonomy, TaxonomyNode
from tests.factories import SYSTEM
from tests.generation_data import store_ready_video

pytestmark = pytest.mark.django_db

PROBE = MediaProbe(8.0, 25.0, 640, 360, 100, "mp4", "h264", "aac", True)


@pytest.fixture
def video(index: Any, tmp_path: Path) -> Any:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"stand-in: these endpoints read the database only")
    return store_ready_video(index, path, VideoAnalysis(probe=PROBE))


def test_metadata_merged_over_several_updates_stays_within_the_key_cap(api: Any, index: Any, video: Any) -> None:
    url = f"/v1.2/indexes/{index.id}/videos/{video.id}"
    first = {f"a{i}": i for i in range(100)}
    assert api.put(url, {"metadata": first}, format="json").status_code == 204
    assert api.put(url, {"metadata": {"a5": "changed"}}, format="json").status_code == 204  # overwrite: fine
    more = api.put(url, {"metadata": {f"b{i}": i for i in range(100)}}, format="json")
    assert more.status_code == 400, more.content[:200]
    assert more.json()["code"] == "metadata_too_large"
    video.refresh_from_db()
    assert len(video.user_metadata) == 100 and video.user_metadata["a5"] == "changed"


def _classes(count: int, prompts: int = 1) -> list[dict[str, Any]]:
    return [{"name": f"Class {i}", "prompts": [f"prompt {i}.{j}" for j in range(prompts)]} for i in range(count)]


@pytest.mark.parametrize(
    ("classes", "field"),
    [
        (_classes(1001), "classes"),  # more classes than a taxonomy holds
        (_classes(1, prompts=101), "prompts"),  # more prompts than a class holds
    ],
)
def test_native_taxonomy_create_refuses_too_many_classes_or_prompts(api: Any, classes: Any, field: str) -> None:
    response = api.post("/api/v1/taxonomies/", {"name": "Huge", "classes": classes}, format="json")
    assert response.status_code == 400, response.content[:200]
    body = response.json()
    assert body["code"] == "parameter_invalid" and field in body["message"]
    assert not Taxonomy.objects.filter(name="Huge").exists()


def test_the_service_caps_prompts_over_all_classes(api: Any) -> None:
    from taxonomy.params import ClassSpec

    specs = [ClassSpec(name=f"C{i}", prompts=tuple(f"p{i}.{j}" for j in range(100)), options=()) for i in range(51)]
    with pytest.raises(ApplicationError) as refused:
        services.taxonomy_save_classes(actor=SYSTEM, team=api.team, name="Many prompts", classes=specs)
    assert refused.value.code == "too_many_prompts"


def test_a_run_over_a_taxonomy_with_too_many_prompts_is_refused(api: Any, index: Any) -> None:
    taxonomy = Taxonomy.objects.create(team=api.team, name="Wide")
    TaxonomyNode.objects.bulk_create(
        TaxonomyNode(
            taxonomy=taxonomy, code=f"n{i}", name=f"Node {i}", path=f"/{i}/", name_path=f"Node {i}", depth=1,
            prompts=[f"prompt {i}.{j}" for j in range(100)],
        )
        for i in range(201)
    )  # fmt: skip
    body = {"taxonomy": taxonomy.id, "index": index.id, "options": ["conversation"]}
    response = api.post("/api/v1/classification-runs/", body, format="json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "too_many_prompts"
    assert not ClassificationRun.objects.exists()


def test_a_run_naming_more_videos_than_the_cap_is_refused(api: Any, index: Any) -> None:
    taxonomy = services.taxonomy_save_classes(actor=SYSTEM, team=api.team, name="Small", classes=[])
    body = {
        "taxonomy": taxonomy.id,
        "index": index.id,
        "options": ["conversation"],
        "video_ids": [f"{i:024x}" for i in range(10_001)],
    }
    response = api.post("/api/v1/classification-runs/", body, format="json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "parameter_invalid" and "video_ids" in response.json()["message"]


def _body(response: Any) -> bytes:
    assert response.streaming, "the export was built in memory"
    return b"".join(response.streaming_content)


def test_the_label_export_streams_json_and_csv(api: Any, index: Any, video: Any) -> None:
    from taxonomy.params import ClassSpec

    specs = [ClassSpec(name=name, prompts=(name.lower(),), options=()) for name in ("Cooking", "News", "=Formula")]
    taxonomy = services.taxonomy_save_classes(actor=SYSTEM, team=api.team, name="Export", classes=specs)
    for node in taxonomy.nodes.all():
        label_services.label_add(actor=SYSTEM, video=video, node=node)

    as_json = api.get("/api/v1/labels/export/", {"index": index.id, "taxonomy": taxonomy.id})
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert as_json["Content-Disposition"] == f'attachment; filename="labels-{index.id}-{taxonomy.id}.json"'
    document = json.loads(_body(as_json))
    assert document["index"] == index.id
    assert sorted(row["node_name"] for row in document["labels"]) == ["=Formula", "Cooking", "News"]
    assert all(row["decision"] == "confirmed" and row["origin"] == "editor" for row in document["labels"])

    as_csv = api.get("/api/v1/labels/export/", {"index": index.id, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(_body(as_csv).decode())))
    assert [row["node_code"] for row in table] == [row["node_code"] for row in document["labels"]]
    assert "'=Formula" in {row["node_name"] for row in table}  # still safe from spreadsheet formulas

    empty = api.get("/api/v1/labels/export/", {"index": index.id, "taxonomy": taxonomy.id + 1000})
    assert (empty.status_code, empty.json()["code"]) == (404, "resource_not_exist")
    missing = api.get("/api/v1/labels/export/", {"index": "0" * 24, "format": "csv"})
    assert (missing.status_code, missing["Content-Type"], missing.json()["code"]) == (
        404,
        "application/json",
        "resource_not_exist",
    )
