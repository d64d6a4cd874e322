"""FRAMEWISE_ENGINE=twelvelabs end to end: an upload through /v1.2/tasks, the real pipeline and
worker, and the cloud engine talking to a fake Twelve Labs server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engines.twelvelabs import build
from library.models import Video
from library.vector_codec import vector_from_bytes
from tests.fake_twelvelabs import API_KEY, FakeTwelveLabs, text_vector, unit
from tests.library.test_ingest import upload

pytestmark = pytest.mark.django_db(transaction=True)

TRANSCRIPT = [{"start": 3.5, "end": 5.0, "value": "Cooking pasta today."}]
CLIPS = [
    {"start_sec": 0.0, "end_sec": 3.0, "embedding_scope": "clip", "embedding_option": "visual",
     "embedding": [1.0, 0, 0, 0, 0, 0, 0, 0]},
    {"start_sec": 3.0, "end_sec": 6.0, "embedding_scope": "clip", "embedding_option": "visual",
     "embedding": [0, 3.0, 0, 0, 0, 0, 0, 0]},
]  # fmt: skip


@pytest.fixture
def cloud(settings: Any) -> Iterator[FakeTwelveLabs]:
    """The fake cloud, and the settings that make the per-process engine use it."""
    fake = FakeTwelveLabs(transcription=TRANSCRIPT, clips=CLIPS)
    with fake.serving():
        settings.FRAMEWISE_ENGINE = "twelvelabs"
        settings.FRAMEWISE_ENGINE_OPTIONS = {
            "api_key": API_KEY,
            "base_url": fake.url,
            "index_name": "newsroom",
            "poll_interval": 0.05,
            "backoff": 0.01,
        }
        yield fake


def test_an_upload_is_indexed_by_the_cloud_engine(
    api: Any, index: Any, worker: Any, cloud: FakeTwelveLabs, two_shot_video: Path
) -> None:
    task_id = upload(api, index.id, two_shot_video)
    worker.wait_idle()

    task = api.get(f"/v1.2/tasks/{task_id}").json()
    assert task["status"] == "ready", task
    assert task["process"]["percentage"] == 100

    # The file went once to the cloud as an asset, indexed into the remote index named after
    # the setting (speech only: v1.3 indexes `audio`), and embedded from the same asset.
    (created,) = cloud.calls("POST", "/indexes")
    assert created.json["index_name"] == "newsroom-audio"
    (sent,) = cloud.calls("POST", "/assets")
    assert sent.files["file"][1] == two_shot_video.read_bytes()
    assert len(cloud.calls("POST", "/indexes/idx1/indexed-assets")) == len(cloud.calls("POST", "/embed-v2/tasks")) == 1

    video_id = task["video_id"]
    transcription = api.get(f"/v1.2/indexes/{index.id}/videos/{video_id}/transcription").json()
    assert transcription["data"] == [{"start": 3.5, "end": 5.0, "value": "Cooking pasta today."}]
    assert transcription["translated"] is False
    # v1.3 reads no on-screen text: the option is recorded as skipped, with the reason.
    texts = api.get(f"/v1.2/indexes/{index.id}/videos/{video_id}/text-in-video").json()
    assert texts == {"data": []}

    video = Video.objects.get(id=video_id)
    assert video.engine_name == "twelvelabs"
    assert video.engine_versions["remote_video"] == "idx1/ia1"
    assert "v1.3" in video.skipped["text_in_video"]
    assert [round(shot["start"]) for shot in video.shots] == [0, 3]
    assert video.thumbnails.count() >= 2
    first, second = video.segments.order_by("position")
    assert (first.on_screen_text, second.transcript) == ("", "Cooking pasta today.")
    # Stored as float16: equal to the normalised Marengo vectors within half precision.
    np.testing.assert_allclose(
        vector_from_bytes(second.conversation_vector), unit(text_vector("Cooking pasta today.")), atol=2e-3
    )
    np.testing.assert_allclose(vector_from_bytes(first.visual_vector)[:2], [1.0, 0.0], atol=0.1)
    np.testing.assert_allclose(vector_from_bytes(second.visual_vector)[:2], [0.0, 1.0], atol=2e-3)


def test_a_remote_failure_fails_the_task_with_the_remote_reason(
    api: Any, index: Any, worker: Any, cloud: FakeTwelveLabs, two_shot_video: Path
) -> None:
    cloud.index_script = ["indexing", "failed"]
    cloud.index_error = {"code": "video_resolution_too_low", "message": "The resolution is too low for this engine."}
    task_id = upload(api, index.id, two_shot_video)
    worker.wait_idle()

    task = api.get(f"/v1.2/tasks/{task_id}").json()
    assert task["status"] == "failed"
    assert task["error"]["code"] == "video_resolution_too_low"
    assert "The resolution is too low for this engine." in task["error"]["message"]
    assert len(cloud.calls("POST", "/assets")) == 1  # permanent: not retried


def _settings_in_child(**env: str) -> subprocess.CompletedProcess[str]:
    code = "import json, config.settings as s; print(json.dumps(s.FRAMEWISE_ENGINE_OPTIONS))"
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("TWELVELABS_")}
    return subprocess.run(
        [sys.executable, "-c", code], env={**child_env, **env}, capture_output=True, text=True, check=False
    )


def test_settings_need_a_key_for_the_cloud_engine_and_pass_its_options() -> None:
    missing = _settings_in_child(FRAMEWISE_ENGINE="twelvelabs")
    assert missing.returncode != 0 and "TWELVELABS_API_KEY" in missing.stderr

    configured = _settings_in_child(
        FRAMEWISE_ENGINE="twelvelabs",
        TWELVELABS_API_KEY="tlk_x",
        TWELVELABS_INDEX_NAME="newsroom",
        TWELVELABS_MAX_RETRIES="2",
        FRAMEWISE_SEGMENT_SECONDS="6",
    )
    assert configured.returncode == 0, configured.stderr
    options = json.loads(configured.stdout)
    assert (options["api_key"], options["index_name"], options["max_retries"]) == ("tlk_x", "newsroom", 2)
    assert options["segment_seconds"] == 6.0
    build(options)  # every option the settings pass is one the engine knows
