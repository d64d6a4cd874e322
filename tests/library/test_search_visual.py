"""The visual option and image queries, with a tiny random CLIP (no CLIP weights exist offline).

Random weights give the real code path without semantics: a text prompt's hits mean
nothing, but an image query made of a frame of a video must rank that video first,
because the same pixels give the same vector whatever the weights.
"""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from library.models import Video
from tests.library.search_corpus import (  # noqa: F401
    cached_analysis,
    corpus,
    corpus_paths,
    tiny_clip_model,
    with_clip,
)

pytestmark = pytest.mark.django_db(transaction=True)


def frame_png(video: Path, at: float, folder: Path) -> bytes:
    target = folder / f"frame-{at}.png"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", str(at), "-i", str(video), "-frames:v", "1",
                    str(target)], check=True)  # fmt: skip
    return target.read_bytes()


def image_search(api: Any, index_id: str, **fields: Any) -> Any:
    return api.post("/v1.2/search-v2", {"index_id": index_id, "query_media_type": "image",
                                        "search_options": ["visual"], **fields}, format="multipart")  # fmt: skip


def test_visual_text_queries_search_the_clip_vectors(
    api: Any, index: Any, with_clip: Path, corpus: dict[str, str]
) -> None:
    assert all("visual" not in video.skipped for video in Video.objects.filter(index=index))
    response = api.post("/v1.2/search", {"query": "A man drinks Coca Cola", "index_id": index.id,
                                         "search_options": ["visual"], "threshold": "none"}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    hits = response.json()["data"]
    assert hits and all(hit["metadata"] == [{"type": "visual"}] for hit in hits)
    assert all(hit["modules"] == [{"type": "visual", "confidence": hit["confidence"]}] for hit in hits)


def test_an_image_query_finds_the_video_it_was_taken_from(
    api: Any, index: Any, with_clip: Path, corpus: dict[str, str], corpus_paths: dict[str, Path], tmp_path: Path,
    static_host: Any,
) -> None:  # fmt: skip
    # A random CLIP finds every frame alike (all above `high`, so each video is one merged
    # clip); the frame's own video still holds the best segment.
    for name, at in (("kitchen.mp4", 14.0), ("hiking.mp4", 3.0)):
        image = frame_png(corpus_paths[name], at, tmp_path)
        response = image_search(api, index.id, query_media_file=SimpleUploadedFile("q.png", image), page_limit=1)
        assert response.status_code == 200, response.content
        body = response.json()
        top = body["data"][0]
        assert top["video_id"] == corpus[name] and top["start"] <= at <= top["end"]
        assert top["metadata"] == [{"type": "visual"}]

        # The next page comes from the token: the image travels in it as a vector.
        following = api.get(f"/v1.2/search-v2/{body['page_info']['next_page_token']}")
        assert following.status_code == 200
        assert following.json()["data"][0]["video_id"] != top["video_id"]
        assert following.json()["data"][0]["score"] <= top["score"]

    by_url = image_search(api, index.id, query_media_url=static_host.publish(tmp_path / "frame-14.0.png", "q.png"))
    assert by_url.status_code == 200 and by_url.json()["data"][0]["video_id"] == corpus["kitchen.mp4"]


def test_image_query_errors(api: Any, index: Any, with_clip: Path, corpus: dict[str, str], settings: Any) -> None:
    not_an_image = image_search(api, index.id, query_media_file=SimpleUploadedFile("q.png", b"hello"))
    assert (not_an_image.status_code, not_an_image.json()["code"]) == (400, "image_invalid")
    nothing = image_search(api, index.id)
    assert (nothing.status_code, nothing.json()["code"]) == (400, "parameter_not_provided")
    wrong_option = api.post("/v1.2/search-v2", {"index_id": index.id, "query_media_type": "image",
                                                "query_media_file": SimpleUploadedFile("q.png", b"x"),
                                                "search_options": ["conversation"]}, format="multipart")  # fmt: skip
    assert wrong_option.status_code == 400 and "visual" in wrong_option.json()["message"]
    internal = image_search(api, index.id, query_media_url="http://127.0.0.1:9/nothing.png")
    assert (internal.status_code, internal.json()["code"]) == (400, "url_not_allowed")
    settings.FRAMEWISE_SEARCH_MEDIA_ALLOW = ["127.0.0.0/8"]  # query images' own list
    unreachable = image_search(api, index.id, query_media_url="http://127.0.0.1:9/nothing.png")
    assert (unreachable.status_code, unreachable.json()["code"]) == (400, "media_url_unreachable")

    # The index has visual vectors but this process has lost its model: say so, don't fail.
    options = {"clip_model": "", "visual_concepts": False}
    settings.FRAMEWISE_ENGINE_OPTIONS = {**settings.FRAMEWISE_ENGINE_OPTIONS, **options}
    from library.engine import get_engine

    get_engine.cache_clear()
    response = api.post("/v1.2/search", {"query": "a red car", "index_id": index.id, "search_options": ["visual"]},
                        format="json")  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (400, "visual_model_unavailable")
