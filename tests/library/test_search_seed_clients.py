"""Seed 003's search cells and the SDK's search calls, unchanged, against a live server.

The corpus (search_corpus.py) is indexed with a tiny random CLIP so the seed's visual
cell has vectors to search (its hits carry no meaning; the conversation and text cells
do and are asserted on). The seed cells run as a client process (notebook.py, as in
test_seed_clients.py); the SDK runs in this process with TWELVELABS_BASE_URL.
"""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from twelvelabs import TwelveLabs
from twelvelabs.exceptions import BadRequestError

from tests.library.search_corpus import (  # noqa: F401
    MOMENTS,
    cached_analysis,
    corpus,
    corpus_paths,
    tiny_clip_model,
    with_clip,
)
from tests.library.test_seed_clients import run_cells

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

CELLS = ["seed003_1_imports.py", "seed003_2_read_env.py", "seed003_8_list_videos.py", "seed003_s1_search_visual.py",
         "seed003_s2_show_visual.py", "seed003_s3_search_conversation.py", "seed003_s4_show_conversation.py",
         "seed003_s5_search_text.py", "seed003_s6_show_text.py"]  # fmt: skip


def printed_response(output: str) -> dict[str, Any]:
    status, _, body = output.partition("\n")
    assert status == "Status code: 200", output
    return ast.literal_eval(body)


def shown(output: str) -> list[tuple[str, float]]:
    """(confidence, score) of each result the display cell printed."""
    levels = re.findall(r"Confidence Level: (\w+)", output)
    scores = [float(s) for s in re.findall(r"Confidence Score: ([\d.]+)", output)]
    assert output.count("<IPython.core.display.Image object>") == len(levels) == len(scores)
    return list(zip(levels, scores, strict=True))


def test_seed_003_search_cells_print_confidence_and_score(
    live_server: Any, team_key: tuple[Any, str], index: Any, with_clip: Path, corpus: dict[str, str], tmp_path: Path
) -> None:
    outputs = run_cells(CELLS, cwd=tmp_path, env={"API_URL": f"{live_server.url}/v1.2", "API_KEY": team_key[1],
                                                  "INDEX_ID": index.id})  # fmt: skip
    visual, show_visual, conversation, show_conversation, text, show_text = outputs[3:]

    # Random CLIP weights: whether the prompt clears `low` is chance; the shapes are not.
    visual_hits = printed_response(visual)["data"]
    assert all(hit["metadata"] == [{"type": "visual"}] for hit in visual_hits)
    assert "Search Query:  A man drinks Coca Cola\nOption: Visual\n" in show_visual
    assert [level for level, _ in shown(show_visual)] == [hit["confidence"] for hit in visual_hits]

    # "Throw like a girl" is said in the first scene of the hiking video.
    hits = printed_response(conversation)["data"]
    assert hits[0]["video_id"] == corpus["hiking.mp4"] and hits[0]["end"] <= 6
    assert "throw like a girl" in hits[0]["metadata"][0]["text"].lower()
    assert f"GT Text:  {hits[0]['metadata'][0]['text']}\n" in show_conversation
    assert shown(show_conversation)[0] == ("high", hits[0]["score"])

    # "Paris" is drawn ("STUDY ABROAD PARIS") in the first scene of the kitchen video.
    hits = printed_response(text)["data"]
    assert hits[0]["video_id"] == corpus["kitchen.mp4"] and hits[0]["start"] < 6
    assert hits[0]["metadata"] == [{"type": "text_in_video", "text": "STUDY ABROAD PARIS"}]
    assert shown(show_text)[0] == ("high", hits[0]["score"])
    assert all(hit["thumbnail_url"].startswith(live_server.url) for hit in hits)


@pytest.fixture
def client(live_server: Any, team_key: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> TwelveLabs:
    monkeypatch.setenv("TWELVELABS_BASE_URL", live_server.url)
    return TwelveLabs(api_key=team_key[1])


def test_sdk_search_query_pages_and_combined_query(
    client: TwelveLabs, index: Any, corpus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = client.search.query(index.id, ["conversation", "text_in_video"], query_text="the weather",
                                 threshold="none", page_limit=3)  # fmt: skip
    assert result.pool.index_id == index.id and result.pool.total_count == 2
    first = [(clip.video_id, clip.start) for clip in result.data]
    pages = [first] + [[(clip.video_id, clip.start) for clip in page] for page in result]
    walked = [key for page in pages for key in page]
    assert len(pages) > 2 and len(walked) == len(set(walked)) == result.page_info.total_results
    print(f"search.query: {len(walked)} clips over {len(pages)} pages")

    top = client.search.query(index.id, ["conversation"], query_text=MOMENTS[4].paraphrase).data[0]
    assert (top.video_id, top.confidence) == (corpus["hiking.mp4"], "high") and 6 <= top.start < 12
    print(f"search.query: score={top.score} start={top.start} end={top.end} confidence={top.confidence}")

    again = client.search.query(index.id, ["conversation"], query_text="the weather", page_limit=1, threshold="none")
    assert client.search.by_page_token(again.page_info.next_page_token).data[0].video_id in corpus.values()

    grouped = client.search.query(index.id, ["text_in_video"], query_text="Paris", group_by="video")
    assert grouped.data[0].id == corpus["kitchen.mp4"] and grouped.data[0].clips[0].confidence == "high"

    combined = client.search.combined_query(
        index.id, {"$or": [{"text": "Paris"}, {"text": "grand opening"}]}, ["text_in_video"], threshold="high"
    )
    assert sorted(clip.video_id for clip in combined.data) == sorted(corpus.values())
    for clip in combined.data:
        print(f"combined_query: video_id={clip.video_id} score={clip.score} confidence={clip.confidence}")

    # The deprecated `query=` path posts JSON to /search.
    legacy = client.search.query(index.id, ["conversation"], query=MOMENTS[0].quoted, conversation_option="exact_match")
    assert legacy.data[0].video_id == corpus["kitchen.mp4"] and legacy.data[0].confidence == "high"

    with pytest.raises(BadRequestError) as error:
        client.search.query(index.id, ["smell"], query_text="x")
    assert error.value.body["code"] == "parameter_invalid"
    assert "search.query: score=" in capsys.readouterr().out


def test_sdk_image_query(
    client: TwelveLabs, index: Any, with_clip: Path, corpus: dict[str, str], corpus_paths: dict[str, Path],
    tmp_path: Path,
) -> None:  # fmt: skip
    from tests.library.test_search_visual import frame_png

    frame = tmp_path / "frame.png"
    frame.write_bytes(frame_png(corpus_paths["kitchen.mp4"], 14.0, tmp_path))
    result = client.search.query(index.id, ["visual"], query_media_type="image", query_media_file=str(frame))
    assert result.data[0].video_id == corpus["kitchen.mp4"]


def test_seed_visual_cells_and_the_sdk_with_the_default_concept_classifier(
    live_server: Any, team_key: tuple[Any, str], index: Any, corpus: dict[str, str], client: TwelveLabs,
    api: Any, worker: Any, videos: Any, tmp_path: Path,
) -> None:  # fmt: skip
    """No CLIP configured: `visual` runs on the concept classifier, and every visual call answers 200."""
    from library.models import Task
    from tests.library.test_ingest import upload
    from tests.photos import photo
    from tests.videos import Scene

    cat_video = videos("cat.mp4", [Scene(6.0, image=str(photo("cat").path))], size=(640, 360), audio=False)
    cat = upload(api, index.id, cat_video)
    worker.wait_idle(timeout=300)
    cat_id = Task.objects.get(id=cat).video_id

    outputs = run_cells(CELLS[:5], cwd=tmp_path, env={"API_URL": f"{live_server.url}/v1.2", "API_KEY": team_key[1],
                                                      "INDEX_ID": index.id})  # fmt: skip
    visual_hits = printed_response(outputs[3])["data"]
    assert [hit["score"] for hit in visual_hits] == sorted((hit["score"] for hit in visual_hits), reverse=True)
    assert [level for level, _ in shown(outputs[4])] == [hit["confidence"] for hit in visual_hits]

    for options in (["visual"], ["visual", "conversation"], ["visual", "conversation", "text_in_video", "logo"]):
        result = client.search.query(index.id, options, query_text="a pet kitten")
        assert result.data[0].video_id == cat_id, options
        scores = [clip.score for clip in result.data]
        assert scores == sorted(scores, reverse=True)
        assert result.data[0].confidence in ("medium", "high")
