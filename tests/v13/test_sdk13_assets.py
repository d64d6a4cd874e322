"""SDK 1.3.6 against /v1.3: assets (direct, URL, multipart), indexed assets, the one-step tasks.

Generated media of known content: a spoken sentence and an on-screen caption. Every response
is parsed by the SDK's own models inside the script (a missing required field fails there).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.storage import default_storage

from library.engine import get_engine
from library.models import Asset, AssetStatus, MultipartUpload, Segment, Task, UploadChunk, Video
from tests.sdk13 import Sdk13
from tests.videos import OnScreenText, Scene

if TYPE_CHECKING:
    from tests.conftest import InlineWorker
    from tests.library.conftest import StaticHost

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SAID = "Cooking pasta today."
SHOWN = "PASTA NIGHT"
BOTH = {"model_name": "marengo3.0", "model_options": ["visual", "audio"]}
AUDIO = {"model_name": "marengo3.0", "model_options": ["audio"]}

# Polls an asset until it leaves `processing` (the SDK has no waiter for assets).
WAIT_ASSET = """
import time
def wait_asset(asset_id, seconds=120):
    deadline = time.monotonic() + seconds
    while True:
        asset = client.assets.retrieve(asset_id)
        if asset.status != "processing" or time.monotonic() > deadline:
            return asset
        time.sleep(0.2)

def wait_indexed(index_id, indexed_asset_id, seconds=180):
    deadline = time.monotonic() + seconds
    while True:
        item = client.indexes.indexed_assets.retrieve(index_id, indexed_asset_id)
        if item.status in ("ready", "failed") or time.monotonic() > deadline:
            return item
        time.sleep(0.3)
"""


@pytest.fixture(scope="module")
def talking(videos: Callable[..., Path]) -> Path:
    return videos(
        "pasta.mp4",
        [
            Scene(3.0, "color=c=navy", texts=(OnScreenText(SHOWN),)),
            Scene(3.5, "testsrc2", speech=SAID),
        ],
        size=(640, 360),
    )


@pytest.fixture(scope="module")
def silent(videos: Callable[..., Path]) -> Path:
    return videos("beach.mp4", [Scene(4.0, "testsrc2")], size=(640, 360), audio=False)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def media_files(root: str) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in Path(root).rglob("*") if path.is_file())


def test_assets_indexed_twice_are_analysed_once(
    sdk13: Sdk13,
    worker: InlineWorker,
    talking: Path,
    silent: Path,
    static_host: StaticHost,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine_runs: list[str] = []
    engine = type(get_engine())
    original = engine.analyze

    def counted(self: Any, path: str, **kwargs: Any) -> Any:
        engine_runs.append(path)
        return original(self, path, **kwargs)

    monkeypatch.setattr(engine, "analyze", counted)
    url = static_host.publish(silent, "beach.mp4")
    got = sdk13.run(
        """
        from twelvelabs.indexes import IndexesCreateRequestModelsItem as Model
        both = client.indexes.create(index_name="Both", models=[Model(**ARGS["both"])])
        audio = client.indexes.create(index_name="Audio", models=[Model(**ARGS["audio"])])
        with open(ARGS["talking"], "rb") as handle:
            direct = client.assets.create(method="direct", file=handle, user_metadata='{"show": "cooking"}')
        by_url = client.assets.create(method="url", url=ARGS["url"], filename="beach.mp4")
        created = [dump(direct), dump(by_url)]
        direct, by_url = wait_asset(direct.id), wait_asset(by_url.id)
        not_ready_yet = caught(lambda: client.assets.retrieve_transcription(direct.id))
        first = client.indexes.indexed_assets.create(both.id, asset_id=direct.id, user_metadata={"season": 2})
        first_ready = wait_indexed(both.id, first.id)
        second = client.indexes.indexed_assets.create(audio.id, asset_id=direct.id)
        second_ready = wait_indexed(audio.id, second.id)
        silent_item = client.indexes.indexed_assets.create(both.id, asset_id=by_url.id)
        wait_indexed(both.id, silent_item.id)
        twice = caught(lambda: client.indexes.indexed_assets.create(both.id, asset_id=direct.id))
        detailed = client.indexes.indexed_assets.retrieve(
            both.id, first.id, transcription=True, embedding_option=["visual", "audio"]
        )
        transcription = client.assets.retrieve_transcription(direct.id, include=["words", "sentences"])
        ready_items = [i.id for i in client.indexes.indexed_assets.list(both.id, status=["ready"])]
        by_name = [i.id for i in client.indexes.indexed_assets.list(both.id, filename="beach.mp4")]
        longer = [i.id for i in client.indexes.indexed_assets.list(both.id, duration={"gte": 5.0})]
        by_meta = [i.id for i in client.indexes.indexed_assets.list(both.id, user_metadata={"season": 2})]
        past_end = client.indexes.indexed_assets.list(both.id, page=5)
        client.indexes.indexed_assets.update(both.id, first.id, user_metadata={"season": 3, "rating": "PG"})
        updated = client.indexes.indexed_assets.retrieve(both.id, first.id)
        client.assets.update_user_metadata(direct.id, user_metadata={"chef": "Ana"})
        patched = client.assets.retrieve(direct.id)
        client.assets.replace_user_metadata(direct.id, user_metadata={"only": True})
        replaced = client.assets.retrieve(direct.id)
        client.assets.delete_user_metadata(direct.id)
        cleared = client.assets.retrieve(direct.id)
        assets = [a.id for a in client.assets.list(page_limit=1)]
        only_beach = [a.id for a in client.assets.list(filename="beach")]
        picked = [a.id for a in client.assets.list(asset_ids=[direct.id])]
        no_images = [a.id for a in client.assets.list(asset_types=["image"])]
        where = [dump(s) for s in client.indexes.indexed_assets.list_by_asset(direct.id)]
        result({
            "ids": {"both": both.id, "audio": audio.id, "direct": direct.id, "url": by_url.id,
                    "first": first.id, "second": second.id, "silent": silent_item.id},
            "created": created, "direct": dump(direct), "by_url": dump(by_url), "not_ready_yet": not_ready_yet,
            "first_ready": dump(first_ready), "second_ready": dump(second_ready), "twice": twice,
            "detailed": dump(detailed), "transcription": dump(transcription), "ready_items": ready_items,
            "by_name": by_name, "longer": longer, "by_meta": by_meta, "past_end": dump(past_end.items),
            "updated": dump(updated), "patched": dump(patched), "replaced": dump(replaced),
            "cleared": dump(cleared), "assets": assets, "only_beach": only_beach, "picked": picked,
            "no_images": no_images, "where": where,
        })
        """,
        both=BOTH,
        audio=AUDIO,
        talking=str(talking),
        url=url,
        helpers=WAIT_ASSET,
        timeout=600,
    )
    worker.wait_idle()
    ids = got["ids"]
    created_direct, created_url = got["created"]
    assert (created_direct["method"], created_direct["status"]) == ("direct", "processing")
    assert created_direct["filename"] == "pasta.mp4"
    assert created_direct["user_metadata"] == {"show": "cooking"}
    assert (created_url["method"], created_url["filename"]) == ("url", "beach.mp4")

    direct = got["direct"]
    assert (direct["status"], direct["file_type"]) == ("ready", "video/mp4")
    assert direct["size"] == talking.stat().st_size
    assert direct["duration"] == pytest.approx(6.5, abs=0.2)
    assert direct["technical_metadata"]["video_width"] == 640
    assert got["by_url"]["status"] == "ready"
    assert got["by_url"]["size"] == static_host.folder.joinpath("beach.mp4").stat().st_size
    assert got["not_ready_yet"]["value"]["status"] == "pending"  # transcribed when first indexed with audio

    first, second = got["first_ready"], got["second_ready"]
    assert (first["status"], first["asset_id"]) == ("ready", ids["direct"])
    assert (second["status"], second["asset_id"]) == ("ready", ids["direct"])
    assert first["system_metadata"]["filename"] == "pasta.mp4"
    # Analysed once: the talking video went through the engine for the first index only (the
    # silent one once too); the second index copied the analysis, for its options only.
    assert sorted(Path(p).suffix for p in engine_runs) == [".mp4", ".mp4"]
    assert Task.objects.get(video_id=ids["second"]).indexing_started_at is None
    copied = Segment.objects.filter(video_id=ids["second"]).order_by("position")
    original_segments = Segment.objects.filter(video_id=ids["first"]).order_by("position")
    assert [(s.start, s.transcript) for s in copied] == [(s.start, s.transcript) for s in original_segments]
    # The audio index keeps what it asked for: speech, not what is seen.
    assert all(s.text_vector is None and s.on_screen_text == "" for s in copied)
    assert any(SHOWN in s.on_screen_text for s in original_segments)
    assert any(s.conversation_vector is not None for s in copied)
    assert Video.objects.get(id=ids["second"]).texts == []
    assert (got["twice"]["status"], got["twice"]["body"]["code"]) == (409, "asset_already_indexed")

    detailed = got["detailed"]
    spoken = " ".join(item["value"] for item in detailed["transcription"]).lower()
    assert "cooking pasta" in spoken
    segments = detailed["embedding"]["video_embedding"]["segments"]
    assert "audio" in {s["embedding_option"] for s in segments}
    assert all(isinstance(x, float) for s in segments for x in s["float_"])
    assert detailed["hls"]["video_url"].startswith("http")
    transcription = got["transcription"]
    assert transcription["status"] == "ready"
    assert "pasta" in " ".join(w["value"] for w in transcription["words"]).lower()
    assert transcription["sentences"] and transcription["utterances"] is None

    assert sorted(got["ready_items"]) == sorted([ids["first"], ids["silent"]])
    assert got["by_name"] == [ids["silent"]]
    assert got["longer"] == [ids["first"]]
    assert got["by_meta"] == [ids["first"]]
    assert got["past_end"] == []
    assert got["updated"]["user_metadata"] == {"show": "cooking", "season": 3, "rating": "PG"}
    assert got["patched"]["user_metadata"] == {"show": "cooking", "chef": "Ana"}
    assert got["replaced"]["user_metadata"] == {"only": True}
    assert got["cleared"]["user_metadata"] is None
    assert len(got["assets"]) == 2  # one per page, the pager went on until an empty page
    assert got["only_beach"] == [ids["url"]]
    assert got["picked"] == [ids["direct"]]
    assert got["no_images"] == []
    assert {(w["id"], w["index"]["id"]) for w in got["where"]} == {
        (ids["first"], ids["both"]),
        (ids["second"], ids["audio"]),
    }

    # Deletes: refused while indexed, forced, then everything; nothing is left behind.
    gone = sdk13.run(
        """
        ids = ARGS["ids"]
        both, audio, direct, by_url = ids["both"], ids["audio"], ids["direct"], ids["url"]
        in_use = caught(lambda: client.assets.delete(direct))
        client.indexes.indexed_assets.delete(audio, ids["second"])
        client.assets.delete(direct, force=True)
        still_searchable = client.indexes.indexed_assets.retrieve(both, ids["first"])
        client.indexes.indexed_assets.delete(both, ids["first"])
        client.indexes.indexed_assets.delete(both, ids["silent"])
        client.assets.delete(by_url)
        gone = caught(lambda: client.assets.retrieve(by_url))
        left = [dump(a) for a in client.assets.list()]
        result({"in_use": in_use, "still": dump(still_searchable), "gone": gone, "left": left})
        """,
        ids=ids,
    )
    assert (gone["in_use"]["status"], gone["in_use"]["body"]["code"]) == (409, "asset_in_use")
    assert gone["still"]["status"] == "ready"  # a forced asset delete keeps what was indexed
    assert gone["gone"]["status"] == 404
    assert gone["left"] == []
    # Deletes leave nothing behind: no rows, no files.
    assert not Asset.objects.exists() and not Video.objects.exists()
    assert not Segment.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_multipart_upload_reassembles_the_exact_bytes(
    sdk13: Sdk13, worker: InlineWorker, talking: Path, settings: Any
) -> None:
    settings.FRAMEWISE_MULTIPART_CHUNK_BYTES = 16 * 1024
    data = talking.read_bytes()
    chunks = -(-len(data) // settings.FRAMEWISE_MULTIPART_CHUNK_BYTES)
    assert chunks > 10  # beyond the first batch of URLs: the SDK must ask for more
    got = sdk13.run(
        """
        import httpx, random
        from twelvelabs.types import CompletedChunk
        # The SDK's own helper: 1-based chunks, batches of 10, more URLs on request, ETags reported.
        helper = client.multipart_upload.upload_file(ARGS["path"], filename="helper.mp4")
        helper_asset = wait_asset(helper.asset_id)

        # By hand, chunks PUT and reported out of order, as a parallel client would.
        data = open(ARGS["path"], "rb").read()
        session = client.multipart_upload.create(filename="manual.mp4", type="video", total_size=len(data))
        size = session.chunk_size
        urls = {u.chunk_index: u.url for u in session.upload_urls}
        more = client.multipart_upload.get_additional_presigned_urls(
            session.upload_id, start=len(urls) + 1, count=session.total_chunks - len(urls)
        )
        urls.update({u.chunk_index: u.url for u in more.upload_urls})
        order = list(range(1, session.total_chunks + 1))
        random.Random(7).shuffle(order)
        etags = {}
        for index in order:
            answer = httpx.put(urls[index], content=data[(index - 1) * size : index * size])
            answer.raise_for_status()
            etags[index] = answer.headers["ETag"].strip('"')
        unauthorised = httpx.put(urls[1][:-4] + "0000", content=data[:size]).status_code
        half = order[: len(order) // 2]
        def done(indexes):
            return [CompletedChunk(chunk_index=i, proof=etags[i], proof_type="etag", chunk_size=size) for i in indexes]

        partial = client.multipart_upload.report_chunk_batch(session.upload_id, completed_chunks=done(half))
        status_pages = client.multipart_upload.get_status(session.upload_id, page_limit=8)
        chunk_states = [dump(chunk) for chunk in status_pages]  # the pager walks every page
        status = status_pages.response._response.json()
        pending = [dump(u) for u in client.multipart_upload.list_incomplete_uploads()]
        again = client.multipart_upload.report_chunk_batch(session.upload_id, completed_chunks=done(order))
        manual = wait_asset(session.asset_id)
        result({
            "helper": dump(helper), "helper_asset": dump(helper_asset), "session": dump(session),
            "more": dump(more), "unauthorised": unauthorised, "partial": dump(partial), "status": status,
            "chunk_states": chunk_states,
            "pending": pending, "again": dump(again), "manual": dump(manual),
        })
        """,
        path=str(talking),
        helpers=WAIT_ASSET,
        timeout=300,
    )
    worker.wait_idle()
    session = got["session"]
    assert session["chunk_size"] == 16 * 1024 and session["total_chunks"] == chunks
    assert [u["chunk_index"] for u in session["upload_urls"]] == list(range(1, 11))
    assert [u["chunk_index"] for u in got["more"]["upload_urls"]] == list(range(11, chunks + 1))
    assert got["unauthorised"] == 403
    half = chunks // 2
    assert got["partial"]["url"] is None and got["partial"]["total_completed"] == half
    assert (got["status"]["status"], got["status"]["chunks_completed"]) == ("active", half)
    assert got["status"]["chunks_pending"] == chunks - half
    completed = sorted(c["index"] for c in got["chunk_states"] if c["status"] == "completed")
    assert len(got["chunk_states"]) == chunks and len(completed) == half
    assert [u["upload_id"] for u in got["pending"]] == [session["upload_id"]]
    assert got["again"]["url"] and got["again"]["duplicate_chunks"] == half
    assert got["again"]["processed_chunks"] == chunks - half
    for name in ("helper_asset", "manual"):
        asset = got[name]
        assert (asset["status"], asset["method"], asset["size"]) == ("ready", "multipart", len(data)), asset
        stored = Asset.objects.get(id=asset["id"])
        assert stored.sha256 == sha256(data)
        with default_storage.open(stored.file.name, "rb") as handle:
            assert sha256(handle.read()) == sha256(data)
    assert got["helper"]["asset_id"] == got["helper_asset"]["id"] and got["helper"]["asset_url"]
    # The chunk files went once the asset was assembled.
    assert not any(UploadChunk.objects.values_list("file", flat=True).exclude(file=""))
    assert set(MultipartUpload.objects.values_list("status", flat=True)) == {"completed"}
    assert Asset.objects.filter(status=AssetStatus.READY).count() == 2
