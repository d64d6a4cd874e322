"""Seeing, through the product: videos of real photographs indexed with the default engine.

One silent video per photo (scikit-image's and scikit-learn's bundled photos, tests/photos.py)
plus generated scenes, uploaded through /v1.2/tasks; searched, classified and shown with
the concept classifier (no CLIP configured). Every query describes what a photo shows in
other words than the ImageNet class the classifier gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from library.models import Task
from search import calibration
from tests.factories import MembershipFactory
from tests.library.search_corpus import cached_analysis  # noqa: F401
from tests.library.test_ingest import upload
from tests.photos import PHOTOS, photo
from tests.videos import Scene

pytestmark = pytest.mark.django_db(transaction=True)
PHOTO_VIDEOS = ("cat", "coffee", "motorcycle", "rocket", "temple", "flower")
SIZE = (640, 360)


def _scenes(name: str) -> list[Scene]:
    if name == "pattern":
        return [Scene(3.0, "testsrc2"), Scene(3.0, "mandelbrot")]
    return [Scene(6.0, image=str(photo(name).path))]


@pytest.fixture
def shown(
    api: Any, index: Any, worker: Any, cached_analysis: None,  # noqa: F811 - the imported fixture
    videos: Callable[..., Path],
) -> Iterator[dict[str, str]]:  # fmt: skip
    """photo name (or "pattern") -> video id, ready; no video has audio."""
    names = (*PHOTO_VIDEOS, "pattern")
    paths = {name: videos(f"{name}.mp4", _scenes(name), size=SIZE, audio=False) for name in names}
    tasks = {name: upload(api, index.id, path) for name, path in paths.items()}
    worker.wait_idle(timeout=600)
    yield {name: Task.objects.get(id=task_id).video_id for name, task_id in tasks.items()}


def search(api: Any, index_id: str, query: str, options: list[str], **extra: Any) -> dict[str, Any]:
    response = api.post("/v1.2/search", {"index_id": index_id, "query": query, "search_options": options,
                                         "group_by": "clip", **extra}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()


def test_a_description_in_other_words_ranks_its_video_first(api: Any, index: Any, shown: dict[str, str]) -> None:
    confident = 0
    queries = [(name, query) for name in PHOTO_VIDEOS for query in photo(name).descriptions]
    for name, query in queries:
        hits = search(api, index.id, query, ["visual"], threshold="none")["data"]
        assert hits and hits[0]["video_id"] == shown[name], (query, hits[:2])
        scores = [hit["score"] for hit in hits]
        assert scores == sorted(scores, reverse=True)
        for hit in hits:
            # The same confidence semantics as every option: cut at 50 / 65 / 80.
            assert hit["confidence"] == calibration.confidence(hit["score"])
            assert hit["metadata"] == [{"type": "visual"}]
        confident += hits[0]["score"] >= calibration.LOW
        # What passes the default threshold (low) is still led by the right video.
        default = search(api, index.id, query, ["visual"])["data"]
        assert not default or default[0]["video_id"] == shown[name]
    # Calibrated so that 9 in 10 descriptions reach `medium`; on this set nearly all pass `low`.
    assert confident >= len(queries) - 2


def test_unrelated_queries_find_little_or_nothing(api: Any, index: Any, shown: dict[str, str]) -> None:
    hits = search(api, index.id, "a tax return form", ["visual"], threshold="medium")["data"]
    assert all(hit["confidence"] in ("medium", "high") for hit in hits) and len(hits) <= 1


def test_visual_with_other_options_answers_when_only_visual_finds_something(
    api: Any, index: Any, shown: dict[str, str]
) -> None:
    # Silent videos without text: conversation, text and logos find nothing, visual does.
    body = search(api, index.id, "a pet kitten", ["visual", "conversation", "text_in_video", "logo"])
    assert body["data"][0]["video_id"] == shown["cat"]
    assert body["data"][0]["modules"][0]["type"] == "visual"
    combined = api.post("/v1.2/search/combined", {"index_id": index.id, "search_options": ["visual", "conversation"],
                                                  "query": {"text": "a motorbike"}}, format="json")  # fmt: skip
    assert combined.status_code == 200, combined.content


def test_an_image_query_finds_the_video_of_that_photo(api: Any, index: Any, shown: dict[str, str]) -> None:
    for name in ("coffee", "temple"):
        image = SimpleUploadedFile("q.png", photo(name).path.read_bytes())
        response = api.post("/v1.2/search-v2", {"index_id": index.id, "query_media_type": "image",
                                                "query_media_file": image, "search_options": ["visual"]},
                            format="multipart")  # fmt: skip
        assert response.status_code == 200, response.content
        assert response.json()["data"][0]["video_id"] == shown[name]


def test_a_silent_video_is_classified_by_what_it_shows(api: Any, index: Any, shown: dict[str, str]) -> None:
    classes = [
        {"name": "Pets", "prompts": ["pets", "cats and dogs"]},
        {"name": "Food & Drink", "prompts": ["food and drink", "coffee"]},
        {"name": "Automotive", "prompts": ["automotive", "motorcycles", "cars"]},
    ]
    response = api.post("/v1.2/classify", {"video_ids": [shown["cat"], shown["coffee"], shown["motorcycle"]],
                                           "options": ["visual"], "classes": classes}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    top = {row["video_id"]: row["classes"][0] for row in response.json()["data"]}
    assert {video: cls["name"] for video, cls in top.items()} == {
        shown["cat"]: "Pets", shown["coffee"]: "Food & Drink", shown["motorcycle"]: "Automotive",
    }  # fmt: skip
    assert all(cls["duration_ratio"] >= 0.5 and cls["score"] >= 75 for cls in top.values())


def test_the_concept_track_is_in_the_api(api: Any, index: Any, shown: dict[str, str]) -> None:
    base = f"/v1.2/indexes/{index.id}/videos/{shown['coffee']}"
    track = api.get(f"{base}/concepts").json()["data"]
    assert [item["value"] for item in track] == ["espresso"]
    assert track[0]["start"] < 0.5 and track[0]["end"] >= 5.0 and 0.5 < track[0]["confidence"] <= 1.0
    assert api.get(f"{base}/concepts", {"start": 7, "end": 9}).json()["data"] == []
    video = api.get(base).json()
    assert video["visual_model"].startswith("efficientnet-lite0 ImageNet-1k concepts")

    native = api.get(f"/api/v1/videos/{shown['coffee']}/extraction/").json()
    assert [c["value"] for c in native["concepts"]] == ["espresso"] and native["visual_model"] == video["visual_model"]
    assert api.get(f"/v1.2/indexes/{index.id}/videos/{shown['cat']}/concepts").json()["data"]


def test_the_concept_track_is_in_the_admin_and_on_the_video_page(
    api: Any, index: Any, shown: dict[str, str], client: Any
) -> None:
    client.force_login(MembershipFactory(team=api.team, role="editor").user)
    admin = client.get(f"/admin/library/video/{shown['coffee']}/change/").content.decode()
    assert "Objects and scenes" in admin and "espresso" in admin and "efficientnet-lite0" in admin
    page = client.get(f"/videos/{shown['coffee']}/").content.decode()
    assert "Objects and scenes" in page and "espresso" in page
    assert "Visual model: efficientnet-lite0 ImageNet-1k concepts" in page


def test_every_photo_of_the_test_set_is_listed_once() -> None:
    assert len({p.name for p in PHOTOS}) == len(PHOTOS) and all(p.path.exists() for p in PHOTOS)
