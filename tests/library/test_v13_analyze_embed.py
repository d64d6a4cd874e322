"""/v1.3/analyze (answer, NDJSON stream, async tasks) and /v1.3/embed-v2 (+ tasks) on an indexed asset.

The asset is the two-shot video (tests/conftest.py: "Cooking pasta today." said in its second
shot), uploaded and indexed through /v1.3 with the real pipeline and local engine; the offline
generator answers prompts from what indexing stored.
"""

# ruff: noqa: F811
from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.module_loading import import_string
from PIL import Image

from library.models import GeneratedText
from tests.fake_llm import FakeChatServer, Reply
from tests.library.search_corpus import cached_analysis  # noqa: F401
from tests.library.test_generation_jobs import llm  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = [{"model_name": "marengo3.0", "model_options": ["visual", "audio"]},
          {"model_name": "pegasus1.2", "model_options": ["visual", "audio"]}]  # fmt: skip


@pytest.fixture
def asset(api: Any, worker: Any, cached_analysis: None, two_shot_video: Path) -> dict[str, str]:
    """{asset_id, index_id, video_id} of the two-shot video, indexed through /v1.3."""
    index = api.post("/v1.3/indexes", {"index_name": "Kitchen", "models": MODELS}, format="json").json()
    upload = SimpleUploadedFile("two-shots.mp4", two_shot_video.read_bytes(), content_type="video/mp4")
    created = api.post("/v1.3/assets", {"method": "direct", "file": upload}, format="multipart").json()
    worker.wait_idle()
    indexed = api.post(f"/v1.3/indexes/{index['_id']}/indexed-assets", {"asset_id": created["_id"]}, format="json")
    assert indexed.status_code in (200, 201, 202), indexed.content
    worker.wait_idle()
    return {"asset_id": created["_id"], "index_id": index["_id"], "video_id": indexed.json()["_id"]}


def post(api: Any, path: str, body: dict[str, Any], status: int = 200) -> Any:
    response = api.post(path, body, format="json")
    assert response.status_code == status, response.content
    return response


def test_analyze_answers_streams_and_stores(api: Any, asset: dict[str, str]) -> None:
    video = {"type": "asset_id", "asset_id": asset["asset_id"]}
    answer = post(api, "/v1.3/analyze", {"video": video, "prompt": "What is being cooked?"}).json()
    assert "pasta" in answer["data"].lower() and answer["finish_reason"] == "stop"
    assert answer["usage"]["output_tokens"] == len(answer["data"].split())
    again = post(api, "/v1.3/analyze", {"video": video, "prompt": "What is being cooked?"}).json()
    assert again == answer  # served from the store, same id

    short = post(api, "/v1.3/analyze", {"video": video, "prompt": "What is being cooked?", "max_tokens": 2}).json()
    assert short["finish_reason"] == "length" and short["usage"]["output_tokens"] == 2
    assert len(short["data"].split()) == 2
    # The window before anything is said: nothing about pasta to read.
    early = post(api, "/v1.3/analyze", {"video": video, "prompt": "What is being cooked?", "start_time": 0,
                                         "end_time": 2.5}).json()  # fmt: skip
    assert "pasta" not in early["data"].lower()
    by_video_id = post(api, "/v1.3/analyze", {"video_id": asset["video_id"], "prompt": "What is being cooked?"})
    assert by_video_id.json()["data"] == answer["data"]

    streamed = post(api, "/v1.3/analyze", {"video": video, "prompt": "Say what is cooked, briefly.", "stream": True})
    assert streamed["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in b"".join(streamed.streaming_content).decode().splitlines()]
    assert [line["event_type"] for line in (lines[0], lines[-1])] == ["stream_start", "stream_end"]
    texts = [line["text"] for line in lines[1:-1]]
    assert {line["event_type"] for line in lines[1:-1]} == {"text_generation"} and "pasta" in "".join(texts).lower()
    end = lines[-1]
    assert end["finish_reason"] == "stop" and end["error"] is None
    assert end["metadata"] == {"generation_id": lines[0]["metadata"]["generation_id"],
                               "usage": {"output_tokens": len(texts)}}  # fmt: skip


def test_analyze_tasks_run_as_job_rows(
    api: Any, worker: Any, asset: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    video = {"type": "asset_id", "asset_id": asset["asset_id"]}
    created = post(api, "/v1.3/analyze/tasks", {"video": video, "prompt": "Summarise it.", "custom_id": "c1"}, 201)
    task_id = created.json()["task_id"]
    assert created.json()["status"] in ("pending", "ready")
    worker.wait_idle()
    task = api.get(f"/v1.3/analyze/tasks/{task_id}").json()
    assert task["status"] == "ready" and task["custom_id"] == "c1"
    assert task["result"]["data"] and task["result"]["usage"]["output_tokens"] > 0
    assert task["video_source"]["asset_id"] == asset["asset_id"] and task["created_at"].endswith("Z")
    row = GeneratedText.objects.get(pk=int(task_id))
    assert row.status == "ready" and row.attempts == 1  # claimed once by the lifecycle

    listed = api.get("/v1.3/analyze/tasks", {"status": "ready"}).json()
    assert [item["task_id"] for item in listed["data"]] == [task_id]
    assert api.get("/v1.3/analyze/tasks", {"page": 2}).json()["data"] == []
    by_asset = api.get("/v1.3/analyze/tasks", {"asset_id": asset["asset_id"]}).json()["data"]
    assert [item["task_id"] for item in by_asset] == [task_id]
    assert api.get("/v1.3/analyze/tasks", {"asset_id": "elsewhere"}).json()["data"] == []

    # Held workers: the task is still waiting when it is cancelled, whatever the machine's speed.
    held: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("core.jobs.async_task", lambda func, *args, **kwargs: held.append((func, args)))
    waiting = post(api, "/v1.3/analyze/tasks", {"video": video, "prompt": "List the colours."}, 201).json()
    assert waiting["status"] == "pending" and len(held) == 1
    canceled = post(api, f"/v1.3/analyze/tasks/{waiting['task_id']}/cancel", {}).json()
    assert canceled["status"] == "canceled" and canceled["error"]["code"] == "analyze_task_canceled"
    func, args = held[0]
    import_string(func)(*args)  # the job, delivered late, finds its row cancelled and leaves it
    assert api.get(f"/v1.3/analyze/tasks/{waiting['task_id']}").json()["status"] == "canceled"
    assert api.get("/v1.3/analyze/tasks", {"status": "canceled"}).json()["data"][0]["task_id"] == waiting["task_id"]

    assert api.delete(f"/v1.3/analyze/tasks/{task_id}").status_code == 204
    assert api.get(f"/v1.3/analyze/tasks/{task_id}").status_code == 404


def test_analyze_4xx(api: Any, other_api: Any, asset: dict[str, str], settings: Any) -> None:
    video = {"type": "asset_id", "asset_id": asset["asset_id"]}

    def code(body: dict[str, Any], status: int = 400, client: Any = api, path: str = "/v1.3/analyze") -> str:
        response = client.post(path, body, format="json")
        assert response.status_code == status, response.content
        return str(response.json()["code"])

    schema = {"type": "json_schema", "json_schema": {"type": "object", "properties": {"dish": {"type": "string"}}}}
    assert code({"video": video, "prompt": "Dish?", "response_format": schema}) == "response_format_needs_llm"
    broken = {"type": "json_schema", "json_schema": {"type": 5}}
    assert code({"video": video, "prompt": "x", "response_format": broken}) == "parameter_invalid"
    assert (
        code({"video": {"type": "url", "url": "https://example.com/a.mp4"}, "prompt": "x"}) == "feature_not_supported"
    )
    assert code({"video": video, "prompt_v2": {"input_text": "x", "media_sources": [{"url": "u"}]}}) \
        == "feature_not_supported"  # fmt: skip
    assert code({"video": video}) == "parameter_not_provided"
    assert code({"video": video, "prompt": "x", "max_tokens": 0}) == "parameter_invalid"
    assert code({"video": video, "prompt": "x", "start_time": 5, "end_time": 1}) == "parameter_invalid"
    assert code({"video": video, "prompt": "x", "model_name": "marengo3.0"}) == "parameter_invalid"
    assert code({"video": video, "prompt": "x"}, 404, other_api) == "resource_not_exist"
    assert api.get("/v1.3/analyze/tasks/999999").status_code == 404
    assert code({"video": video, "prompt": "x"}, 404, other_api, "/v1.3/analyze/tasks") == "resource_not_exist"


def test_embed_v2_text_image_and_video_asset(api: Any, asset: dict[str, str]) -> None:
    def embed(body: dict[str, Any], status: int = 200) -> Any:
        return post(api, "/v1.3/embed-v2", {"model_name": "marengo3.0", **body}, status).json()

    text = embed({"input_type": "text", "text": {"input_text": "cooking pasta"}})["data"][0]
    vector = np.asarray(text["embedding"], dtype=np.float32)
    assert vector.ndim == 1 and vector.size > 0 and np.isfinite(vector).all()
    assert text["embedding_scope"] is None and text["start_sec"] is None

    png = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(png, format="PNG")
    image_source = {"base64_string": base64.b64encode(png.getvalue()).decode()}
    image = embed({"input_type": "image", "image": {"media_source": image_source}})["data"][0]["embedding"]
    composed = {"input_text": "cooking pasta", "media_source": image_source}
    both = embed({"input_type": "text_image", "text_image": composed})["data"][0]["embedding"]
    assert len(image) == len(both) == vector.size

    video = {"media_source": {"asset_id": asset["asset_id"]}, "embedding_scope": ["clip", "asset"],
             "embedding_option": ["visual", "transcription"]}  # fmt: skip
    task = post(api, "/v1.3/embed-v2/tasks", {"model_name": "marengo3.0", "input_type": "video", "video": video}).json()
    assert task["status"] == "ready"
    result = api.get(f"/v1.3/embed-v2/tasks/{task['_id']}").json()
    assert result["_id"] == task["_id"] and result["status"] == "ready"
    scopes = {(item["embedding_option"], item["embedding_scope"]) for item in result["data"]}
    assert ("transcription", "clip") in scopes and ("transcription", "asset") in scopes
    speech = [i for i in result["data"] if i["embedding_option"] == "transcription" and i["embedding_scope"] == "clip"]
    assert all(i["start_sec"] >= 2.5 for i in speech)  # said in the second shot only
    assert result["metadata"]["duration"] == pytest.approx(6.0, abs=0.2)

    assert embed({"input_type": "audio"}, 400)["code"] == "feature_not_supported"
    assert embed({"input_type": "text", "text": {"input_text": "x"}, "model_name": "clip"}, 400)["code"] == (
        "parameter_invalid"
    )
    assert api.get("/v1.3/embed-v2/tasks/forged").status_code == 404
    assert api.get("/v1.3/embed-v2/tasks").json()["code"] == "feature_not_supported"


def test_response_format_with_an_llm_is_asked_for_and_validated(
    api: Any, asset: dict[str, str], llm: FakeChatServer
) -> None:
    video = {"type": "asset_id", "asset_id": asset["asset_id"]}
    schema = {"type": "object", "properties": {"dish": {"type": "string"}}, "required": ["dish"]}
    body = {"video": video, "response_format": {"type": "json_schema", "json_schema": schema}}
    llm.replies = [Reply(content='```json\n{"dish": "pasta"}\n```'), Reply(content="It is pasta, I think.")]
    answer = post(api, "/v1.3/analyze", {**body, "prompt": "Which dish?"}).json()
    assert json.loads(answer["data"].strip("`json\n")) == {"dish": "pasta"}
    asked = json.dumps(llm.requests[0].body["messages"])
    assert "JSON Schema" in asked and '\\"required\\": [\\"dish\\"]' in asked
    refused = api.post("/v1.3/analyze", {**body, "prompt": "Which dish, again?"}, format="json")
    assert refused.status_code == 502 and refused.json()["code"] == "generation_invalid_response"
