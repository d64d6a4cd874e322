"""SDK 1.3.6 against /v1.3: the one-step `tasks` with `wait_for_done`, and every error as the SDK raises it.

Errors are `{code, message}`; the SDK picks its error class by status (BadRequestError,
ForbiddenError, NotFoundError, ConflictError, ... or a plain ApiError where an endpoint declares
no class for that status) and keeps the body.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from library.models import Video
from tests.factories import ApiKeyFactory
from tests.sdk13 import Sdk13
from tests.videos import OnScreenText, Scene

if TYPE_CHECKING:
    from tests.conftest import InlineWorker

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

MARENGO = {"model_name": "marengo3.0", "model_options": ["visual", "audio"]}


@pytest.fixture(scope="module")
def clip(videos: Callable[..., Path]) -> Path:
    return videos("sale.mp4", [Scene(4.5, "color=c=maroon", texts=(OnScreenText("BIG SALE"),))], size=(640, 360))


def test_one_step_tasks_wait_for_done(sdk13: Sdk13, worker: InlineWorker, clip: Path) -> None:
    got = sdk13.run(
        """
        import time
        from twelvelabs.indexes import IndexesCreateRequestModelsItem as Model
        index = client.indexes.create(index_name="Tasks", models=[Model(**ARGS["marengo"])])
        with open(ARGS["clip"], "rb") as handle:
            task = client.tasks.create(index_id=index.id, video_file=handle, user_metadata='{"campaign": "winter"}')
        deadline = time.monotonic() + 180
        def give_up(t):
            assert time.monotonic() < deadline, t.status
        done = client.tasks.wait_for_done(task.id, sleep_interval=0.2, callback=give_up)
        listed = [dump(t) for t in client.tasks.list(index_id=index.id, status=["ready"])]
        none_failed = [t.id for t in client.tasks.list(index_id=index.id, status=["failed"])]
        past_end = client.tasks.list(index_id=index.id, page=4).items
        video = client.indexes.indexed_assets.retrieve(index.id, done.video_id)
        legacy = client.indexes.videos.retrieve(index.id, done.video_id)
        client.indexes.videos.delete(index.id, done.video_id)
        client.tasks.delete(task.id)
        gone = caught(lambda: client.tasks.retrieve(task.id))
        result({
            "created": dump(task), "done": dump(done), "listed": listed, "none_failed": none_failed,
            "past_end": dump(past_end), "video": dump(video), "legacy": dump(legacy), "gone": gone,
        })
        """,
        marengo=MARENGO,
        clip=str(clip),
    )
    worker.wait_idle()
    assert got["created"]["id"] and got["created"]["video_id"] is None
    done = got["done"]
    assert (done["status"], done["system_metadata"]["filename"]) == ("ready", "sale.mp4")
    assert done["hls"]["status"] == "COMPLETE"
    assert [t["id"] for t in got["listed"]] == [done["id"]]
    assert got["none_failed"] == [] and got["past_end"] == []
    assert got["video"]["user_metadata"] == {"campaign": "winter"}
    assert got["video"]["asset_id"] is None  # uploaded through /tasks, not from an asset
    assert got["legacy"]["id"] == done["video_id"]
    assert got["gone"]["status"] == 404
    assert not Video.objects.exists()


def test_errors_are_typed_by_status_with_their_code(
    sdk13: Sdk13, team_key: tuple[Any, str], settings: Any, tmp_path: Path
) -> None:
    viewer_key = ApiKeyFactory.create_with_raw(team=team_key[0].team, role="viewer")[1]
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    settings.FRAMEWISE_MAX_UPLOAD_BYTES = 10_000
    script = """
        from twelvelabs.indexes import IndexesCreateRequestModelsItem as Model
        models = [Model(**ARGS["marengo"])]
        index = client.indexes.create(index_name="Errors", models=models)
        upload = client.multipart_upload.create
        with open(ARGS["picture"], "rb") as handle:
            not_video = caught(lambda: client.assets.create(method="direct", file=handle))
        result({
            "bad_request": caught(lambda: client.assets.create(method="url", url="ftp://example.com/a.mp4")),
            "not_video": not_video,
            "audio_upload": caught(lambda: upload(filename="a.mp3", type="audio", total_size=9)),
            "not_found": caught(lambda: client.assets.retrieve("0123456789abcdef01234567")),
            "conflict": caught(lambda: client.indexes.create(index_name="Errors", models=models)),
            "too_large": caught(lambda: upload(filename="big.mp4", type="video", total_size=10**6)),
            "unsupported": caught(lambda: list(client.entity_collections.list())),
            "knowledge": caught(lambda: client.knowledge_stores.list()),
            "index_id": index.id,
        })
    """
    got = sdk13.run(script, marengo=MARENGO, picture=str(picture))
    assert (got["bad_request"]["error"], got["bad_request"]["body"]["code"]) == ("BadRequestError", "parameter_invalid")
    assert (got["not_video"]["status"], got["not_video"]["body"]["code"]) == (400, "asset_type_not_supported")
    assert got["audio_upload"]["error"] == "BadRequestError"
    assert got["audio_upload"]["body"]["code"] == "asset_type_not_supported"
    assert (got["not_found"]["error"], got["not_found"]["body"]["code"]) == ("NotFoundError", "resource_not_exist")
    assert (got["conflict"]["status"], got["conflict"]["body"]["code"]) == (409, "index_name_already_exists")
    assert (got["too_large"]["status"], got["too_large"]["body"]["code"]) == (413, "video_file_too_large")
    for name in ("unsupported", "knowledge"):
        assert (got[name]["status"], got[name]["body"]["code"]) == (400, "feature_not_supported"), got[name]
        assert got[name]["error"] == "BadRequestError"
    assert set(got["not_found"]["body"]) == {"code", "message"}

    as_viewer = sdk13.run(
        """
        result({
            "forbidden": caught(lambda: client.multipart_upload.create(filename="v.mp4", type="video", total_size=9)),
            "index": caught(lambda: client.indexes.delete(ARGS["index_id"])),
            "reads": [i.id for i in client.indexes.list()],
        })
        """,
        api_key=viewer_key,
        index_id=got["index_id"],
    )
    assert (as_viewer["forbidden"]["error"], as_viewer["forbidden"]["body"]["code"]) == ("ForbiddenError", "forbidden")
    assert (as_viewer["index"]["status"], as_viewer["index"]["body"]["code"]) == (403, "forbidden")
    assert as_viewer["reads"] == [got["index_id"]]

    stranger = sdk13.run("result(caught(lambda: client.indexes.list().items))", api_key="tlk_not-a-real-key")
    assert (stranger["status"], stranger["body"]["code"]) == (401, "api_key_invalid")

    fresh_key = ApiKeyFactory.create_with_raw(team=team_key[0].team)[1]  # no request counted yet
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "2/min"}}
    limited = sdk13.run(
        """
        once = {"max_retries": 0}  # the SDK retries a 429 after a pause by default
        result([caught(lambda: client.assets.list(request_options=once).items) for _ in range(3)])
        """,
        api_key=fresh_key,
    )
    assert [answer["status"] if answer["error"] else 200 for answer in limited] == [200, 200, 429]
    assert limited[2]["body"]["code"] == "too_many_requests"
