"""SDK 1.3.6 against /v1.3: search, analyze (answer, stream, async tasks) and embed-v2 on generated media.

The search corpus (tests/library/search_corpus.py: two videos, known speech and captions per
6 s scene) is uploaded as assets and indexed through the SDK, with the real pipeline and local
engine (analyses cached per content for the session). Every answer is parsed by the SDK's own
models inside the script (a missing or mistyped field fails there).
"""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils.module_loading import import_string

from library.models import GeneratedText
from tests.library.search_corpus import (  # noqa: F401
    MOMENTS,
    cached_analysis,
    corpus_paths,
    tiny_clip_model,
    with_clip,
)
from tests.library.test_search_visual import frame_png
from tests.sdk13 import Sdk13

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# Uploads the corpus as assets, indexes them into a new index and waits: ARGS["paths"] is name -> file.
INDEXED = """
import time
from twelvelabs.indexes import IndexesCreateRequestModelsItem as Model

index = client.indexes.create(index_name="Corpus", models=[
    Model(model_name="marengo3.0", model_options=["visual", "audio"]),
    Model(model_name="pegasus1.2", model_options=["visual", "audio"]),
])
assets = {}
for name, path in ARGS["paths"].items():
    with open(path, "rb") as handle:
        assets[name] = client.assets.create(method="direct", file=handle).id
deadline = time.monotonic() + 300
while any(client.assets.retrieve(a).status != "ready" for a in assets.values()):
    assert time.monotonic() < deadline, "assets not ready"
    time.sleep(0.5)
videos = {name: client.indexes.indexed_assets.create(index.id, asset_id=a).id for name, a in assets.items()}
while any(client.indexes.indexed_assets.retrieve(index.id, v).status != "ready" for v in videos.values()):
    assert time.monotonic() < deadline, "indexing not done"
    time.sleep(0.5)
"""


def test_search_analyze_and_embed_with_the_sdk(
    sdk13: Sdk13, worker: Any, cached_analysis: None, corpus_paths: dict[str, Path], frame: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    got = sdk13.run(
        INDEXED
        + """
from twelvelabs import (AsyncVideoInputRequest, ImageInputRequest, MediaSource, SyncResponseFormat,
                        TextImageInputRequest, TextInputRequest, VideoContext_AssetId)
from twelvelabs.errors import BadRequestError, NotFoundError

def items(pager):
    return [dump(item) for item in pager]

said = items(client.search.query(index_id=index.id, search_options=["transcription"],
                                 transcription_options=["lexical"], query_text=ARGS["said"]))
shown = items(client.search.query(index_id=index.id, search_options=["visual"], query_text=ARGS["shown"]))
meant = items(client.search.query(index_id=index.id, search_options=["audio"], query_text=ARGS["meant"]))
# The pager follows next_page_token through GET search/{token} until the last page has none.
walked = items(client.search.query(index_id=index.id, search_options=["audio", "visual"], query_text="sports",
                                   page_limit=1))
grouped = items(client.search.query(index_id=index.id, search_options=["visual"], query_text=ARGS["shown"],
                                    group_by="video"))
nothing = items(client.search.query(index_id=index.id, search_options=["visual", "transcription"],
                                    query_text=ARGS["shown"], operator="and", threshold="medium"))
bad_option = caught(lambda: client.search.query(index_id=index.id, search_options=["smell"], query_text="x"))

kitchen = VideoContext_AssetId(asset_id=assets["kitchen.mp4"])
answer = client.analyze(video=kitchen, prompt="What is cooked?")
short = client.analyze(video=kitchen, prompt="What is cooked?", max_tokens=3)
events = [dump(event) for event in client.analyze_stream(video=kitchen, prompt="Summarise the video.")]
schema = SyncResponseFormat(type="json_schema", json_schema={"type": "object"})
needs_llm = caught(lambda: client.analyze(video=kitchen, prompt="Dish?", response_format=schema))
by_url = caught(lambda: client.analyze(video={"type": "url", "url": "https://example.com/v.mp4"}, prompt="x"))

task = client.analyze_async.tasks.create(video=kitchen, prompt="What happens?", custom_id="t1")
deadline = time.monotonic() + 120
while (done := client.analyze_async.tasks.retrieve(task.task_id)).status not in ("ready", "failed"):
    assert time.monotonic() < deadline, "analyze task not done"
    time.sleep(0.3)
listed = [t.task_id for t in client.analyze_async.tasks.list(status="ready").data]
client.analyze_async.tasks.delete(task.task_id)
deleted = caught(lambda: client.analyze_async.tasks.retrieve(task.task_id))

text = client.embed.v_2.create(input_type="text", model_name="marengo3.0",
                               text=TextInputRequest(input_text="cooking pasta"))
with open(ARGS["frame"], "rb") as handle:
    import base64
    b64 = base64.b64encode(handle.read()).decode()
image = client.embed.v_2.create(input_type="image", model_name="marengo3.0",
                                image=ImageInputRequest(media_source=MediaSource(base_64_string=b64)))
both = client.embed.v_2.create(input_type="text_image", model_name="marengo3.0",
                               text_image=TextImageInputRequest(input_text="pasta",
                                                                media_source=MediaSource(base_64_string=b64)))
created = client.embed.v_2.tasks.create(input_type="video", model_name="marengo3.0", video=AsyncVideoInputRequest(
    media_source=MediaSource(asset_id=assets["hiking.mp4"]), embedding_scope=["clip", "asset"],
    embedding_option=["visual", "transcription"]))
video_embeddings = client.embed.v_2.tasks.retrieve(created.id)
audio = caught(lambda: client.embed.v_2.create(input_type="audio", model_name="marengo3.0"))
result({
    "videos": videos, "assets": assets, "said": said, "shown": shown, "meant": meant, "walked": walked,
    "grouped": grouped, "nothing": nothing, "bad_option": bad_option,
    "answer": dump(answer), "short": dump(short), "events": events, "needs_llm": needs_llm, "by_url": by_url,
    "done": dump(done), "listed": listed, "task_id": task.task_id, "deleted": deleted,
    "text": dump(text), "image": dump(image), "both": dump(both), "created": dump(created),
    "video_embeddings": dump(video_embeddings), "audio": audio,
})
""",
        timeout=600,
        paths={name: str(path) for name, path in corpus_paths.items()},
        frame=str(frame),
        said=MOMENTS[1].quoted,  # "won the championship", said in the kitchen video's second scene
        shown=MOMENTS[0].caption_query,  # "Paris", drawn in the kitchen video's first scene
        meant=MOMENTS[4].paraphrase,  # "the physician recommends staying hydrated": hiking, second scene
    )
    videos = got["videos"]
    kitchen, hiking = videos["kitchen.mp4"], videos["hiking.mp4"]
    # The spoken phrase and the on-screen text find the right video at rank 1, at the right moment.
    assert (got["said"][0]["video_id"], got["said"][0]["rank"]) == (kitchen, 1) and 6 <= got["said"][0]["start"] < 12
    assert "championship" in got["said"][0]["transcription"].lower()
    assert (got["shown"][0]["video_id"], got["shown"][0]["rank"]) == (kitchen, 1) and got["shown"][0]["start"] < 6
    assert got["said"][0]["confidence"] == "high" and got["said"][0]["score"] > 0  # extra fields kept
    assert (got["meant"][0]["video_id"], got["meant"][0]["rank"]) == (hiking, 1)
    ranks = [item["rank"] for item in got["walked"]]
    assert len(ranks) >= 2 and ranks == list(range(1, len(ranks) + 1))  # one result a page, every page once
    assert got["grouped"][0]["id"] == kitchen and got["grouped"][0]["clips"][0]["rank"] == 1
    assert got["nothing"] == []
    assert got["bad_option"]["error"] == "BadRequestError" and got["bad_option"]["body"]["code"] == "parameter_invalid"

    # Analyze: an answer from what was said, the limit, the stream's three event kinds.
    assert "pasta" in got["answer"]["data"].lower() and got["answer"]["finish_reason"] == "stop"
    assert got["short"]["finish_reason"] == "length" and got["short"]["usage"]["output_tokens"] == 3
    kinds = [event["event_type"] for event in got["events"]]
    assert kinds[0] == "stream_start" and kinds[-1] == "stream_end" and set(kinds[1:-1]) == {"text_generation"}
    streamed = "".join(event["text"] for event in got["events"][1:-1])
    assert streamed.strip() and got["events"][-1]["metadata"]["usage"]["output_tokens"] == len(kinds) - 2
    assert (got["needs_llm"]["error"], got["needs_llm"]["body"]["code"]) == (
        "BadRequestError",
        "response_format_needs_llm",
    )
    assert got["by_url"]["body"]["code"] == "feature_not_supported"
    assert got["done"]["status"] == "ready" and got["done"]["result"]["data"] and got["done"]["custom_id"] == "t1"
    assert got["done"]["result"]["usage"]["output_tokens"] > 0 and got["task_id"] in got["listed"]
    assert got["deleted"]["error"] == "NotFoundError"

    # embed-v2: non-empty float vectors; text, image and composed in one space; the video's from indexing.
    dimensions = {len(got[kind]["data"][0]["embedding"]) for kind in ("text", "image", "both")}
    assert len(dimensions) == 1 and dimensions.pop() > 0
    assert all(isinstance(x, float) for x in got["text"]["data"][0]["embedding"])
    assert got["created"]["status"] == "ready"
    embeddings = got["video_embeddings"]
    assert embeddings["status"] == "ready" and embeddings["metadata"]["embedding_scopes"] == ["clip", "asset"]
    kinds = {(item["embedding_option"], item["embedding_scope"]) for item in embeddings["data"]}
    assert {("visual", "clip"), ("visual", "asset"), ("transcription", "clip"), ("transcription", "asset")} <= kinds
    print("embedding dimensions:", {item["embedding_option"]: len(item["embedding"]) for item in embeddings["data"]},
          "query:", len(got["text"]["data"][0]["embedding"]))  # fmt: skip
    assert got["audio"]["body"]["code"] == "feature_not_supported"

    # Cancelling: the workers are held, so the task is still waiting when the SDK cancels it.
    held: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("core.jobs.async_task", lambda func, *args, **kwargs: held.append((func, args)))
    stopped = sdk13.run(
        """
from twelvelabs import VideoContext_AssetId
other = client.analyze_async.tasks.create(video=VideoContext_AssetId(asset_id=ARGS["asset"]), prompt="Colours?")
canceled = client.analyze_async.tasks.cancel(other.task_id)
result({"created": dump(other), "canceled": dump(canceled),
        "retrieved": dump(client.analyze_async.tasks.retrieve(other.task_id))})
""",
        asset=got["assets"]["kitchen.mp4"],
    )
    assert stopped["created"]["status"] == "pending" and stopped["canceled"]["status"] == "canceled"
    assert stopped["retrieved"]["error"]["code"] == "analyze_task_canceled" and len(held) == 1
    func, args = held[0]
    import_string(func)(*args)  # the job, delivered late, finds its row cancelled and leaves it
    assert GeneratedText.objects.get(pk=int(stopped["created"]["task_id"])).status == "failed"


@pytest.fixture
def frame(corpus_paths: dict[str, Path], tmp_path: Path) -> Path:
    """A frame of the kitchen video's third scene (14 s), as a PNG file beside the video."""
    path = corpus_paths["kitchen.mp4"].with_suffix(".frame.png")
    if not path.exists():
        path.write_bytes(frame_png(corpus_paths["kitchen.mp4"], 14.0, tmp_path))
    return path


def test_an_image_grabbed_from_a_video_finds_it(
    sdk13: Sdk13, worker: Any, cached_analysis: None, with_clip: Path, corpus_paths: dict[str, Path], frame: Path
) -> None:
    got = sdk13.run(
        INDEXED
        + """
with open(ARGS["frame"], "rb") as one, open(ARGS["frame"], "rb") as two:
    found = [dump(item) for item in client.search.query(
        index_id=index.id, search_options=["visual"], query_media_type="image", query_media_files=[one])]
    composed = [dump(item) for item in client.search.query(
        index_id=index.id, search_options=["visual"], query_media_type="image", query_media_files=[two],
        query_text="Learn Python")]
result({"videos": videos, "found": found, "composed": composed})
""",
        timeout=600,
        paths={name: str(path) for name, path in corpus_paths.items()},
        frame=str(frame),
    )
    kitchen = got["videos"]["kitchen.mp4"]
    assert (got["found"][0]["video_id"], got["found"][0]["rank"]) == (kitchen, 1)
    assert got["composed"][0]["video_id"] == kitchen
