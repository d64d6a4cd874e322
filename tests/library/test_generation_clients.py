"""The seed's generate cells and the SDK's generate resource, unchanged, against a live server.

Seed 003 sets `%env VIDEO_ID=...` for an existing video and then runs its /gist,
/summarize (summary, chapter, highlight; each with and without a prompt) and /generate
cells; the cells in tests/seed_clients/ are those lines verbatim. The SDK uploads the
cooking video through the real pipeline first, then calls generate.gist, summarize,
text and text_stream, whose strict pydantic models check every field.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from twelvelabs import TwelveLabs
from twelvelabs.exceptions import BadRequestError, NotFoundError

from engines.base import VideoAnalysis
from library.models import GeneratedText, Video
from tests.factories import IndexFactory
from tests.generation_data import COOKING_CUTS, store_ready_video
from tests.library.test_sdk import MARENGO, PEGASUS, give_up_after
from tests.library.test_seed_clients import run_cells

if TYPE_CHECKING:
    from tests.conftest import InlineWorker

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

GENERATE_CELLS = [
    "seed003_g2_gist.py",
    "seed003_g3_summary.py",
    "seed003_g4_summary_prompt.py",
    "seed003_g5_chapters.py",
    "seed003_g6_chapters_prompt.py",
    "seed003_g7_highlights.py",
    "seed003_g8_highlights_prompt.py",
    "seed003_g9_generate_description.py",
    "seed003_g10_generate_rap.py",
]


def printed(output: str) -> Any:
    """What a cell printed: 'Status code: 200' and then a pprinted Python literal."""
    status, _, literal = output.partition("\n")
    assert status == "Status code: 200", output
    return ast.literal_eval(literal)


def sentence_count(text: str) -> int:
    return len(re.findall(r"[.!?…](?:\s|$)", text.strip()))


def test_seed_003_generate_cells_print_sensible_text(
    live_server: Any, team_key: tuple[Any, str], index: Any, cooking_path: Path, cooking_analysis: VideoAnalysis,
    tmp_path: Path,
) -> None:  # fmt: skip
    video = store_ready_video(index, cooking_path, cooking_analysis)
    env = {"API_URL": f"{live_server.url}/v1.2", "API_KEY": team_key[1], "VIDEO_ID": video.id}
    _, _, video_id, *outputs = run_cells(
        ["seed003_1_imports.py", "seed003_2_read_env.py", "seed003_g1_video_id_env.py", *GENERATE_CELLS],
        cwd=tmp_path,
        env=env,
    )
    assert video_id == f"{video.id}\n"
    gist, summary, short, chapters, taught, highlights, surprising, description, rap = map(printed, outputs)

    assert set(gist) == {"id", "title", "topics", "hashtags"}
    assert "pasta" in gist["title"].lower() and "pasta" in gist["hashtags"] and gist["topics"]
    assert "pasta" in summary["summary"].lower()
    assert 1 <= sentence_count(short["summary"]) <= 3
    for body in (chapters, taught):
        starts = [chapter["start"] for chapter in body["chapters"]]
        assert [c["chapter_number"] for c in body["chapters"]] == list(range(len(starts))) and starts[0] == 0
        assert all(min(abs(start - cut) for cut in COOKING_CUTS) <= 1 for start in starts[1:])
        assert all(c["chapter_title"] and c["chapter_summary"] for c in body["chapters"])
    for body in (highlights, surprising):
        assert body["highlights"] and all(h["highlight"] and h["highlight_summary"] for h in body["highlights"])
    assert description["data"].startswith("Title: Cooking Pasta Recipe\n\nSummary: ")
    assert "language model" in rap["data"] and "pasta" in rap["data"].lower()
    # Every answer was stored, and each printed id names its stored result.
    ids = {str(value) for value in GeneratedText.objects.filter(video=video).values_list("generation_id", flat=True)}
    assert {body["id"] for body in (gist, summary, short, chapters, taught, highlights, surprising)} <= ids
    assert {description["id"], rap["id"]} <= ids


@pytest.fixture
def client(live_server: Any, team_key: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> TwelveLabs:
    monkeypatch.setenv("TWELVELABS_BASE_URL", live_server.url)
    return TwelveLabs(api_key=team_key[1])


def test_the_sdk_generates_text_for_an_uploaded_video(
    client: TwelveLabs, worker: InlineWorker, team_key: tuple[Any, str], cooking_path: Path,
    cooking_analysis: VideoAnalysis,
) -> None:  # fmt: skip
    index = client.index.create("Recipes", engines=[MARENGO, PEGASUS])
    task = client.task.create(index.id, file=str(cooking_path), language="en")
    task.wait_for_done(sleep_interval=0.5, callback=give_up_after(180))
    assert task.status == "ready", task
    worker.wait_idle()
    video_id = client.task.retrieve(task.id).video_id

    gist = client.generate.gist(video_id, types=["title", "topic", "hashtag"])
    assert gist.title and "pasta" in gist.title.lower() and "pasta" in list(gist.hashtags)

    summary = client.generate.summarize(video_id, type="summary", prompt="Up to three sentences, please.")
    assert summary.summary and 1 <= sentence_count(summary.summary) <= 3
    chapters = client.generate.summarize(video_id, type="chapter")
    assert chapters.chapters and [c.chapter_number for c in chapters.chapters][0] == 0
    assert all(c.end <= Video.objects.get(id=video_id).duration for c in chapters.chapters)
    highlights = client.generate.summarize(video_id, type="highlight", temperature=0.3)
    assert highlights.highlights and all(h.start < h.end for h in highlights.highlights)

    answer = client.generate.text(video_id, prompt="How long should the spaghetti cook?")
    assert "spaghetti" in answer.data.lower() and answer.id

    stream = client.generate.text_stream(video_id, prompt="What is this video about?")
    pieces = list(stream)
    assert len(pieces) > 3 and "pasta" in stream.aggregated_text.lower()
    assert stream.id and GeneratedText.objects.get(generation_id=stream.id).text == "".join(pieces)

    with pytest.raises(NotFoundError):
        client.generate.gist("0" * 24, types=["title"])
    search_only = IndexFactory(
        team=team_key[0].team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual"]}]
    )
    elsewhere = store_ready_video(search_only, cooking_path, cooking_analysis)
    with pytest.raises(BadRequestError) as raised:
        client.generate.summarize(elsewhere.id, type="summary")
    assert raised.value.body["code"] == "index_not_supported_for_generate"
