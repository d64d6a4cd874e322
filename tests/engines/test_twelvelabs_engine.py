"""The Twelve Labs cloud engine (API v1.3) against a fake Twelve Labs server on 127.0.0.1.

The video is real (generated, decoded locally for shots and thumbnails); everything the
cloud would compute comes from the fake, with known values at known times, so the tests
check what was sent, how the answers were placed on the grid, and how failures map.
"""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engines import build_engine
from engines.base import ENGINE_OPTIONS, EngineError, VideoAnalysis, VideoEngine
from engines.twelvelabs import build
from engines.twelvelabs.api import MAX_TEXT_CHARACTERS
from engines.twelvelabs.engine import NOT_IN_V13, TwelveLabsEngine
from tests.fake_twelvelabs import API_KEY, FakeTwelveLabs, Fault, image_vector, text_vector, unit

ALL_OPTIONS = frozenset(ENGINE_OPTIONS)

# two_shot_video (tests/conftest.py): 6 s, a cut at 3 s, "HELLO FRAMEWISE" on the first shot,
# "Cooking pasta today." spoken in the second. The grid is then [0, 3) and [3, 6].
TRANSCRIPT = [{"start": 3.6, "end": 5.2, "value": "Cooking pasta today."}]


def basis(axis: int, scale: float = 2.0) -> list[float]:
    vector = [0.0] * 8
    vector[axis] = scale
    return vector


def clip(start: float, end: float, vector: list[float], scope: str = "clip", option: str = "visual") -> dict[str, Any]:
    return {
        "start_sec": start,
        "end_sec": end,
        "embedding_scope": scope,
        "embedding_option": option,
        "embedding": vector,
    }


# Three 2 s clips with orthogonal vectors: each cell's visual vector shows which clips it pooled.
# The asset vector (axis 7) and an audio clip (axis 6) must not be pooled.
CLIPS = [
    clip(0.0, 2.0, basis(0)),
    clip(2.0, 4.0, basis(1)),
    clip(4.0, 6.0, basis(2)),
    clip(0.0, 6.0, basis(7), scope="asset"),
    clip(0.0, 2.0, basis(6), option="audio"),
]


def make_fake(**kwargs: Any) -> FakeTwelveLabs:
    return FakeTwelveLabs(transcription=TRANSCRIPT, clips=CLIPS, **kwargs)


def make_engine(fake: FakeTwelveLabs, **overrides: Any) -> TwelveLabsEngine:
    options = {
        "api_key": API_KEY,
        "base_url": fake.url,
        "poll_interval": 0.02,
        "backoff": 0.01,
        "read_timeout": 5.0,
        "task_timeout": 10.0,
        "max_retries": 2,
        **overrides,
    }
    return build(options)


def run(engine: TwelveLabsEngine, path: Path, options: frozenset[str] = ALL_OPTIONS, **kwargs: Any) -> VideoAnalysis:
    return engine.analyze(
        str(path), probe=engine.probe(str(path)), options=options, thumbnails=True, progress=lambda s, f: None, **kwargs
    )


@pytest.fixture
def fake() -> Iterator[FakeTwelveLabs]:
    with make_fake().serving() as server:
        yield server


@pytest.fixture(scope="module")
def full_run(two_shot_video: Path) -> Iterator[tuple[FakeTwelveLabs, VideoAnalysis, list[tuple[str, float]]]]:
    """One analysis with every option, shared by the tests that only read it."""
    calls: list[tuple[str, float]] = []
    with make_fake().serving() as server:
        engine = make_engine(server)
        path = str(two_shot_video)
        analysis = engine.analyze(
            path,
            probe=engine.probe(path),
            options=ALL_OPTIONS,
            thumbnails=True,
            progress=lambda stage, fraction: calls.append((stage, fraction)),
        )
        yield server, analysis, calls


# -- what is sent --------------------------------------------------------------------------


def test_every_request_goes_to_v13_with_the_api_key(full_run: Any) -> None:
    fake, _, _ = full_run
    assert len(fake.requests) > 8
    assert {r.headers["x-api-key"] for r in fake.requests} == {API_KEY}
    assert fake.url.endswith("/v1.3")


def test_the_index_is_looked_up_by_name_then_created_as_a_marengo_audio_index(full_run: Any) -> None:
    fake, _, _ = full_run
    (lookup,) = fake.calls("GET", "/indexes")
    assert lookup.query["index_name"] == ["framewise-audio"]
    (created,) = fake.calls("POST", "/indexes")
    # Only the transcript is read from the index: visual vectors come from embed-v2.
    assert created.json == {
        "index_name": "framewise-audio",
        "models": [{"model_name": "marengo3.0", "model_options": ["audio"]}],
    }


def test_the_file_is_uploaded_once_as_a_direct_asset(full_run: Any, two_shot_video: Path) -> None:
    fake, _, _ = full_run
    content = two_shot_video.read_bytes()
    (upload,) = fake.calls("POST", "/assets")
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(upload.headers["content-length"]) > len(content)  # sized, not chunked
    assert upload.fields == {"method": "direct", "enable_hls": "false", "enable_thumbnail": "false"}
    assert upload.files["file"][0] == "two-shots.mp4"
    assert hashlib.sha256(upload.files["file"][1]).digest() == hashlib.sha256(content).digest()
    # Nothing else carries the file: indexing and embedding name the asset.
    assert sum(len(r.files) for r in fake.requests) == 1


def test_the_ready_asset_is_indexed_and_embedded_by_id(full_run: Any) -> None:
    fake, _, _ = full_run
    (indexed,) = fake.calls("POST", "/indexes/idx1/indexed-assets")
    assert indexed.json == {"asset_id": "asset1", "enable_video_stream": False}
    (task,) = fake.calls("POST", "/embed-v2/tasks")
    assert task.json == {
        "input_type": "video",
        "model_name": "marengo3.0",
        "video": {
            "media_source": {"asset_id": "asset1"},
            "segmentation": {"strategy": "fixed", "fixed": {"duration_sec": 4}},
            "embedding_option": ["visual"],
            "embedding_scope": ["clip"],
        },
    }
    # Both only after a poll saw the asset ready (the fake refuses them before).
    asset_polls = fake.calls("GET", "/assets/asset1")
    assert len(asset_polls) == 2
    assert asset_polls[-1].at <= indexed.at and asset_polls[-1].at <= task.at


def test_texts_are_embedded_once_each_with_embed_v2(full_run: Any) -> None:
    fake, _, _ = full_run
    sent = [r.json for r in fake.calls("POST", "/embed-v2")]
    assert sent == [{"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": "Cooking pasta today."}}]


def test_the_transcript_is_read_from_the_indexed_asset(full_run: Any) -> None:
    fake, _, _ = full_run
    reads = [r for r in fake.calls("GET", "/indexes/idx1/indexed-assets/ia1") if "transcription" in r.query]
    assert [r.query for r in reads] == [{"transcription": ["true"]}]
    assert not [r for r in fake.requests if "text-in-video" in r.path or "logo" in r.path or r.path == "/tasks"]


# -- the analysis built ----------------------------------------------------------------------


def test_the_transcript_keeps_the_remote_times_and_text_and_logos_are_skipped(full_run: Any) -> None:
    _, analysis, _ = full_run
    assert [(t.start, t.end, t.text) for t in analysis.transcript] == [(3.6, 5.2, "Cooking pasta today.")]
    assert analysis.texts == () and analysis.logos == ()
    assert analysis.skipped == {"logo": NOT_IN_V13, "text_in_video": NOT_IN_V13}
    assert "v1.3" in NOT_IN_V13


def test_shots_thumbnails_and_grid_come_from_the_local_decode(full_run: Any) -> None:
    _, analysis, _ = full_run
    assert [round(s.start) for s in analysis.shots] == [0, 3]
    assert len(analysis.thumbnails) >= 2 and all(t.jpeg[:2] == b"\xff\xd8" for t in analysis.thumbnails)
    cut = analysis.shots[1].start  # the first 1 fps sample of the second shot
    assert cut == pytest.approx(3.0, abs=0.1)
    assert [(s.start, s.end) for s in analysis.segments] == [(0.0, cut), (cut, pytest.approx(6.0, abs=0.1))]
    first, second = analysis.segments
    assert (first.transcript, first.on_screen_text, first.logos) == ("", "", "")
    assert (second.transcript, second.on_screen_text, second.logos) == ("Cooking pasta today.", "", "")


def test_text_vectors_are_the_normalised_marengo_embeddings(full_run: Any) -> None:
    _, analysis, _ = full_run
    first, second = analysis.segments
    assert first.conversation_vector is None and first.text_vector is None and second.text_vector is None
    vector = second.conversation_vector
    assert vector is not None and vector.dtype == np.float32 and vector.shape == (8,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(vector, unit(text_vector("Cooking pasta today.")), atol=1e-6)


def test_visual_vectors_pool_the_overlapping_visual_clips_by_overlap(full_run: Any) -> None:
    _, analysis, _ = full_run
    first, second = analysis.segments
    cut = first.end  # ~3 s: the first cell holds 2 s of clip 0 and the start of clip 1, the second
    # the rest of clip 1 and 2 s of clip 2. The asset vector (axis 7) and the audio clip (6) are not pooled.
    np.testing.assert_allclose(first.visual_vector, unit([2, cut - 2, 0, 0, 0, 0, 0, 0]), atol=1e-6)
    np.testing.assert_allclose(second.visual_vector, unit([0, 4 - cut, 2, 0, 0, 0, 0, 0]), atol=1e-6)
    assert first.visual_vector is not None and first.visual_vector.dtype == np.float32


def test_versions_name_the_remote_models_asset_and_video(full_run: Any) -> None:
    _, analysis, _ = full_run
    assert analysis.versions["engine"].startswith("twelvelabs (http://127.0.0.1:")
    assert analysis.versions["engine"].endswith("/v1.3)")
    assert analysis.versions["index_model"] == "marengo3.0"
    assert analysis.versions["embedding"] == "marengo3.0"
    assert analysis.versions["remote_asset"] == "asset1"
    assert analysis.versions["remote_video"] == "idx1/ia1"
    for stage in ("upload", "decode", "remote_wait", "fetch", "embed", "total"):
        assert analysis.timings[stage] >= 0.0


def test_progress_follows_the_remote_statuses(full_run: Any) -> None:
    _, _, calls = full_run
    by_stage: dict[str, list[float]] = {}
    for stage, fraction in calls:
        by_stage.setdefault(stage, []).append(fraction)
    assert set(by_stage) == {"upload", "decode", "speech", "visual", "embed"}
    for fractions in by_stage.values():
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # The fake's script: asset processing, ready; then validating, indexing, indexing, ready.
    assert by_stage["speech"] == [0.0, 0.1, 0.5, 1.0]
    assert by_stage["upload"][0] > 0.0  # from the bytes sent, not only at the end


def test_an_index_found_by_name_is_reused_and_only_what_is_asked_is_done(
    fake: FakeTwelveLabs, two_shot_video: Path
) -> None:
    run(make_engine(fake), two_shot_video)
    second = make_engine(fake)  # a fresh process: nothing cached
    analysis = run(second, two_shot_video, options=frozenset({"conversation"}))
    assert len(fake.calls("POST", "/indexes")) == 1  # {conversation} asks the cloud the same: one index
    assert len(fake.calls("POST", r"/indexes/idx1/indexed-assets")) == 2
    assert len(fake.calls("POST", "/embed-v2/tasks")) == 1  # no embedding task without visual
    assert [s.visual_vector for s in analysis.segments] == [None, None]
    assert analysis.segments[1].conversation_vector is not None and analysis.skipped == {}

    visual = run(second, two_shot_video, options=frozenset({"visual"}))
    assert len(fake.calls("POST", r"/indexes/\w+/indexed-assets")) == 2  # no index needed for visual alone
    assert len(fake.calls("POST", "/embed-v2/tasks")) == 2
    assert visual.transcript == () and all(s.visual_vector is not None for s in visual.segments)
    assert "remote_video" not in visual.versions

    uploads = len(fake.calls("POST", "/assets"))
    text_only = run(second, two_shot_video, options=frozenset({"text_in_video", "logo"}))
    assert len(fake.calls("POST", "/assets")) == uploads  # nothing v1.3 can do for them: not uploaded
    assert set(text_only.skipped) == {"text_in_video", "logo"} and len(text_only.shots) == 2


def test_a_long_wait_repeats_progress_so_the_worker_keeps_its_lease(two_shot_video: Path) -> None:
    script = ["indexing"] * 30 + ["ready"]
    calls: list[tuple[str, float]] = []
    with make_fake(index_script=script).serving() as fake:
        engine = make_engine(fake, heartbeat_seconds=0.05)
        path = str(two_shot_video)
        engine.analyze(
            path,
            probe=engine.probe(path),
            options=frozenset({"conversation"}),
            thumbnails=False,
            progress=lambda stage, fraction: calls.append((stage, fraction)),
        )
    assert calls.count(("speech", 0.5)) >= 3


# -- embeddings for queries ------------------------------------------------------------------


def test_embed_texts_keeps_order_and_normalises(fake: FakeTwelveLabs) -> None:
    engine = make_engine(fake, parallel_requests=3)
    texts = [f"query number {n}" for n in range(7)]
    vectors = engine.embed_texts(texts)
    assert vectors.shape == (7, 8) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, np.stack([unit(text_vector(t)) for t in texts]), atol=1e-6)
    np.testing.assert_array_equal(engine.embed_visual_texts(texts[:2]), vectors[:2])
    assert engine.embed_texts([]).shape == (0, 512)  # Marengo 3.0's dimension


def test_a_text_over_marengo_30s_window_is_cut_not_refused(fake: FakeTwelveLabs) -> None:
    long_text = "word " * 1000
    make_engine(fake).embed_texts([long_text])
    (sent,) = fake.calls("POST", "/embed-v2")
    assert sent.json["text"]["input_text"] == long_text[:MAX_TEXT_CHARACTERS]


def test_image_queries_are_decoded_locally_and_sent_as_base64_jpeg(fake: FakeTwelveLabs) -> None:
    engine = make_engine(fake)
    png = io.BytesIO()
    Image.new("RGB", (96, 64), (200, 30, 30)).save(png, format="PNG")
    vectors = engine.embed_visual_images([png.getvalue()])
    (sent,) = fake.calls("POST", "/embed-v2")
    assert (sent.json["input_type"], sent.json["model_name"]) == ("image", "marengo3.0")
    jpeg = base64.b64decode(sent.json["image"]["media_source"]["base64_string"])
    assert jpeg[:2] == b"\xff\xd8" and Image.open(io.BytesIO(jpeg)).size == (96, 64)
    np.testing.assert_allclose(vectors, [unit(image_vector(jpeg))], atol=1e-6)
    assert vectors.dtype == np.float32

    with pytest.raises(EngineError) as caught:
        engine.embed_visual_images([b"not an image"])
    assert (caught.value.transient, caught.value.code) == (False, "image_invalid")
    assert len(fake.calls("POST", "/embed-v2")) == 1


# -- failures --------------------------------------------------------------------------------


def test_a_failed_indexing_is_a_permanent_error_with_the_remote_reason(two_shot_video: Path) -> None:
    error = {"code": "video_resolution_too_low", "message": "The video resolution is too low (360p)."}
    with make_fake(index_script=["indexing", "failed"], index_error=error).serving() as fake:
        with pytest.raises(EngineError) as caught:
            run(make_engine(fake), two_shot_video)
    assert caught.value.transient is False
    assert caught.value.code == "video_resolution_too_low"
    assert "The video resolution is too low (360p)." in caught.value.message


def test_failed_indexing_without_a_reason_a_failed_asset_and_a_failed_embedding(two_shot_video: Path) -> None:
    with make_fake(index_script=["failed"]).serving() as fake:
        with pytest.raises(EngineError) as caught:
            run(make_engine(fake), two_shot_video)
    assert (caught.value.transient, caught.value.code) == (False, "remote_indexing_failed")
    assert "no reason given" in caught.value.message

    asset_error = {"code": "unsupported_file", "message": "The file could not be decoded."}
    with make_fake(asset_script=["processing", "failed"], asset_error=asset_error).serving() as fake:
        with pytest.raises(EngineError) as caught:
            run(make_engine(fake), two_shot_video)
        assert fake.calls("POST", r"/indexes/\w+/indexed-assets") == []
    assert (caught.value.transient, caught.value.code) == (False, "unsupported_file")
    assert "The file could not be decoded." in caught.value.message

    with make_fake(embed_script=["processing", "failed"], embed_error="Video too dark to embed.").serving() as fake:
        with pytest.raises(EngineError) as caught:
            run(make_engine(fake), two_shot_video)
    assert (caught.value.transient, caught.value.code) == (False, "remote_embedding_failed")
    assert "Video too dark to embed." in caught.value.message


def test_429_and_503_are_retried_honouring_retry_after(fake: FakeTwelveLabs, two_shot_video: Path) -> None:
    fake.faults = [
        Fault(
            "POST",
            "/assets",
            status=429,
            headers={"Retry-After": "1"},
            body={"code": "too_many_requests", "message": "Slow down."},
        ),
        Fault("POST", "/assets", status=503),
    ]
    analysis = run(make_engine(fake), two_shot_video)
    uploads = fake.calls("POST", "/assets")
    assert len(uploads) == 3
    assert uploads[1].at - uploads[0].at >= 0.95  # Retry-After: 1, not the 0.01 s backoff
    assert uploads[2].at - uploads[1].at < 0.9
    content = two_shot_video.read_bytes()
    assert all(u.files["file"][1] == content for u in uploads)  # the body is re-read per attempt
    assert analysis.transcript[0].text == "Cooking pasta today."


def test_repeated_503_is_a_transient_error_after_the_retry_budget(fake: FakeTwelveLabs, two_shot_video: Path) -> None:
    fake.faults = [Fault("GET", r"/assets/\w+", status=503, times=100)]
    with pytest.raises(EngineError) as caught:
        run(make_engine(fake, max_retries=2), two_shot_video)
    assert (caught.value.transient, caught.value.code) == (True, "remote_unavailable")
    assert "gave up after 3 attempts" in caught.value.message and "Try again later." in caught.value.message
    assert len(fake.calls("GET", r"/assets/\w+")) == 3


def test_a_slow_answer_times_out_and_is_retried(fake: FakeTwelveLabs) -> None:
    fake.faults = [Fault("POST", "/embed-v2", status=200, delay=1.0, body={})]
    engine = make_engine(fake, read_timeout=0.3)
    vectors = engine.embed_texts(["slow query"])
    np.testing.assert_allclose(vectors[0], unit(text_vector("slow query")), atol=1e-6)
    assert len(fake.calls("POST", "/embed-v2")) == 2

    fake.faults = [Fault("POST", "/embed-v2", status=200, delay=1.0, body={}, times=3)]
    with pytest.raises(EngineError) as caught:
        engine.embed_texts(["slow query"])
    assert (caught.value.transient, caught.value.code) == (True, "remote_timeout")


def test_an_answer_without_the_embedding_is_a_bad_response(fake: FakeTwelveLabs) -> None:
    fake.faults = [Fault("POST", "/embed-v2", status=200, body={"data": []})]
    with pytest.raises(EngineError) as caught:
        make_engine(fake).embed_texts(["anything"])
    assert (caught.value.transient, caught.value.code) == (False, "remote_bad_response")
    assert "data[0].embedding" in caught.value.message


def test_remote_work_that_never_finishes_is_a_transient_timeout(two_shot_video: Path) -> None:
    with make_fake(index_script=["queued"]).serving() as fake:
        started = time.monotonic()
        with pytest.raises(EngineError) as caught:
            run(make_engine(fake, task_timeout=0.5), two_shot_video)
    assert (caught.value.transient, caught.value.code) == (True, "remote_timeout")
    assert "indexing: queued" in caught.value.message
    assert time.monotonic() - started < 5


def test_client_errors_are_permanent_and_carry_the_remote_message(fake: FakeTwelveLabs, two_shot_video: Path) -> None:
    with pytest.raises(EngineError) as caught:
        run(make_engine(fake, api_key="wrong-key"), two_shot_video)
    assert (caught.value.transient, caught.value.code) == (False, "remote_auth_failed")
    assert "The API key is invalid." in caught.value.message

    fake.faults = [
        Fault("POST", "/indexes", status=400, body={"code": "index_option_invalid", "message": "No such option."})
    ]
    with pytest.raises(EngineError) as caught:
        run(make_engine(fake), two_shot_video, options=frozenset({"conversation"}))
    assert (caught.value.transient, caught.value.code) == (False, "remote_request_rejected")
    assert "[index_option_invalid]" in caught.value.message and "No such option." in caught.value.message


def test_an_index_without_the_needed_option_is_refused(fake: FakeTwelveLabs, two_shot_video: Path) -> None:
    fake.indexes["idx9"] = {
        "_id": "idx9",
        "index_name": "framewise-audio",
        "models": [{"model_name": "marengo3.0", "model_options": ["visual"]}],
    }
    with pytest.raises(EngineError) as caught:
        run(make_engine(fake), two_shot_video, options=frozenset({"conversation"}))
    assert (caught.value.transient, caught.value.code) == (False, "remote_index_mismatch")
    assert fake.calls("POST", "/assets") == []


def test_an_unreachable_server_is_a_transient_error(two_shot_video: Path) -> None:
    with make_fake().serving() as fake:
        url = fake.url  # the port is closed once the server stops
    engine = build({"api_key": API_KEY, "base_url": url, "max_retries": 1, "backoff": 0.01})
    with pytest.raises(EngineError) as caught:
        engine.embed_texts(["anything"])
    assert (caught.value.transient, caught.value.code) == (True, "remote_unreachable")


def test_probe_is_local_and_a_broken_file_is_never_uploaded(fake: FakeTwelveLabs, tmp_path: Path) -> None:
    broken = tmp_path / "notes.mp4"
    broken.write_bytes(b"this is not a video at all" * 100)
    with pytest.raises(EngineError) as caught:
        make_engine(fake).probe(str(broken))
    assert caught.value.transient is False and caught.value.code == "unsupported_file_type"
    assert fake.requests == []


# -- construction ----------------------------------------------------------------------------


def test_the_registry_builds_it_and_it_meets_the_protocol(fake: FakeTwelveLabs) -> None:
    engine = build_engine("twelvelabs", {"api_key": API_KEY, "base_url": fake.url})
    assert isinstance(engine, VideoEngine) and engine.name == "twelvelabs"
    with pytest.raises(ValueError, match="index_nmae"):
        build({"api_key": API_KEY, "index_nmae": "typo"})
    with pytest.raises(ValueError, match="TWELVELABS_API_KEY"):
        build({"api_key": ""})


def test_importing_the_engine_loads_no_model_library() -> None:
    heavy = ["torch", "transformers", "sentence_transformers", "onnxruntime", "faster_whisper", "twelvelabs"]
    code = f"import sys, engines.twelvelabs; print([m for m in {heavy!r} if m in sys.modules])"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert output.strip() == "[]"
