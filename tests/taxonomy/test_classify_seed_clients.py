"""The seeds' classification cells, unchanged, as client processes against a live Framewise server.

Seed 000 (v1.1) uploads a folder of TikTok-style videos and classifies the index with
and without `include_clips`; seed 003 (v1.2) classifies an "Ads" index against
`Style & Fashion` alone, with clips, against four classes, and with detailed scores,
each with `threshold: {min_video_score: 80, min_duration_ratio: 0.5}`. The cells are in
tests/seed_clients/ (see notebook.py); their printed `pprint` output is read back.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from library.models import Index, Video
from tests.library.test_ingest import upload
from tests.library.test_seed_clients import run_cells
from tests.taxonomy.conftest import SEED000_VIDEOS, SIZE

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def response_of(output: str) -> dict[str, Any]:
    status, _, body = output.partition("\n")
    assert status == "Status code: 200", output
    return ast.literal_eval(body)


def classes_by_file(response: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    names = dict(Video.objects.values_list("id", "filename"))
    return {names[row["video_id"]]: row["classes"] for row in response["data"]}


def test_seed_000_classifies_its_folder_with_and_without_clips(
    live_server: Any,
    team_key: tuple[Any, str],
    classify_worker: Any,
    cached_analysis: None,
    videos: Callable[..., Path],
    tmp_path: Path,
) -> None:
    folder = tmp_path / "classify"
    folder.mkdir()
    for name, scenes in SEED000_VIDEOS.items():
        shutil.copy(videos(f"seed000-{name}", scenes, size=SIZE), folder / name)
    outputs = run_cells(
        [
            "seed000_1_setup.py",
            "seed000_2_create_index.py",
            "seed000_3_upload.py",
            "seed000_4_monitor.py",
            "seed000_5_list_videos.py",
            "seed000_6_classify.py",
            "seed000_7_classify_clips.py",
        ],
        cwd=tmp_path,
        env={"API_URL": f"{live_server.url}/v1.1", "API_KEY": team_key[1]},
    )
    assert Index.objects.get(team=team_key[0].team).videos.filter(indexed_at__isnull=False).count() == 4
    plain, with_clips = response_of(outputs[5]), response_of(outputs[6])

    expected = {"cats.mp4": "AnimalTok", "pasta.mp4": "CookTok", "makeup.mp4": "BeautyTok", "sketchbook.mp4": "ArtTok"}
    found = classes_by_file(plain)
    assert {name: classes[0]["name"] for name, classes in found.items()} == expected
    assert all(set(cls) == {"name", "score", "duration_ratio"} for classes in found.values() for cls in classes)
    assert all(cls["score"] >= 75 and cls["duration_ratio"] >= 0.5 for c in found.values() for cls in c)
    assert plain["page_info"]["total_results"] == 4 and plain["page_info"]["next_page_token"] == ""
    # "visual" runs on the concept classifier, which recognises nothing in these generated
    # backgrounds: the answer says so, and conversation carried the request.
    assert "recognised nothing" in plain.get("skipped_options", {}).get("visual", "recognised nothing")

    clipped = classes_by_file(with_clips)
    assert {name: classes[0]["name"] for name, classes in clipped.items()} == expected
    for name, classes in clipped.items():
        for cls in classes:
            assert cls["clips"], (name, cls)
            for clip in cls["clips"]:
                # What is said, or (concept classifier) what the generated backgrounds look like.
                assert clip["option"] in ("conversation", "visual") and clip["score"] >= 65
                assert 0 <= clip["start"] < clip["end"] <= 8.0 and clip["thumbnail_url"]
    cats = clipped["cats.mp4"][0]["clips"]
    assert {clip["prompt"] for clip in cats} <= {
        "dog",
        "cat",
        "birds",
        "fish",
        "playing with pets",
        "pets doing funny things",
    }


def test_seed_003_classifies_the_ads_index_with_thresholds(
    live_server: Any,
    api: Any,
    team_key: tuple[Any, str],
    classify_worker: Any,
    cached_analysis: None,
    category_paths: dict[str, Path],
    tmp_path: Path,
) -> None:
    created = api.post(
        "/v1.2/indexes",
        {
            "index_name": "Ads Videos",
            "engines": [
                {"engine_name": "marengo2.5", "engine_options": ["visual", "conversation", "text_in_video", "logo"]},
                {"engine_name": "pegasus1", "engine_options": ["visual", "conversation"]},
            ],
            "addons": ["thumbnail"],
        },
        format="json",
    )
    index_id = created.json()["_id"]
    for name in ("fashion.mp4", "cars.mp4", "pets.mp4", "travel.mp4", "cooking.mp4"):
        upload(api, index_id, category_paths[name])
    classify_worker.wait_idle(timeout=300)

    outputs = run_cells(
        [
            "seed003_1_imports.py",
            "seed003_2_read_env.py",
            "seed003_8_list_videos.py",
            "seed003_9_classify_one_class.py",
            "seed003_10_classify_clips.py",
            "seed003_11_classify_classes.py",
            "seed003_12_classify_detailed.py",
        ],
        cwd=tmp_path,
        env={"API_URL": f"{live_server.url}/v1.2", "API_KEY": team_key[1], "INDEX_ID": index_id},
    )
    one_class, clips, classes, detailed = (response_of(output) for output in outputs[3:])

    assert {name: [c["name"] for c in found] for name, found in classes_by_file(one_class).items()} == {
        "fashion.mp4": ["Style & Fashion"]
    }
    [fashion] = classes_by_file(clips)["fashion.mp4"]
    assert fashion["score"] >= 80 and fashion["duration_ratio"] >= 0.5
    assert {clip["option"] for clip in fashion["clips"]} <= {"conversation", "text_in_video"}
    assert all(clip["thumbnail_url"].startswith(live_server.url) for clip in fashion["clips"])

    winners = {name: found[0]["name"] for name, found in classes_by_file(classes).items()}
    assert winners == {"fashion.mp4": "Style & Fashion", "cars.mp4": "Automotive", "pets.mp4": "Pets"}
    scores = [row["classes"][0]["score"] for row in classes["data"]]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 80

    for row in detailed["data"]:
        details = [cls["detailed_scores"] for cls in row["classes"]]
        assert sum(d["normalized_score"] for d in details) == pytest.approx(100, abs=0.05)
        for cls in row["classes"]:
            assert cls["detailed_scores"]["max_score"] >= cls["score"] >= 80
            assert cls["detailed_scores"]["avg_score"] <= cls["detailed_scores"]["max_score"]
    assert {row["video_id"] for row in detailed["data"]} == {row["video_id"] for row in classes["data"]}
