"""SDK 1.3.6 against /v1.3: indexes (models and their options), paging to an empty page, typed errors."""

from __future__ import annotations

from typing import Any

import pytest

from library.models import Index
from tests.sdk13 import Sdk13

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

MARENGO = {"model_name": "marengo3.0", "model_options": ["visual", "audio"]}
PEGASUS = {"model_name": "pegasus1.2", "model_options": ["visual", "audio"]}


def test_index_life_cycle_and_pages(sdk13: Sdk13, team_key: tuple[Any, str]) -> None:
    got = sdk13.run(
        """
        from twelvelabs.indexes import IndexesCreateRequestModelsItem as Model
        created = client.indexes.create(
            index_name="Ads", models=[Model(**ARGS["marengo"]), Model(**ARGS["pegasus"])], addons=["thumbnail"]
        )
        audio_only = client.indexes.create(
            index_name="Speech", models=[Model(model_name="marengo3.0", model_options=["audio"])]
        )
        extra = [client.indexes.create(index_name=f"n{n}", models=[Model(**ARGS["marengo"])]).id for n in range(3)]
        retrieved = client.indexes.retrieve(created.id)
        client.indexes.update(created.id, index_name="Ads 2026")
        renamed = client.indexes.retrieve(created.id)
        # The pager asks for page N+1 until a page is empty: every index exactly once.
        paged = [index.id for index in client.indexes.list(page_limit=2, sort_option="asc")]
        past_end = client.indexes.list(page=9, page_limit=2)
        by_family = [index.id for index in client.indexes.list(model_family="pegasus")]
        by_option = sorted(index.id for index in client.indexes.list(model_options="visual"))
        client.indexes.delete(audio_only.id)
        missing = caught(lambda: client.indexes.retrieve(audio_only.id))
        taken = caught(lambda: client.indexes.create(index_name="n0", models=[Model(**ARGS["marengo"])]))
        bad = Model(model_name="marengo9", model_options=["visual"])
        bad_model = caught(lambda: client.indexes.create(index_name="x", models=[bad]))
        result({
            "created": dump(created), "audio_only": audio_only.id, "extra": extra,
            "retrieved": dump(retrieved), "renamed": dump(renamed), "paged": paged,
            "past_end": {"items": dump(past_end.items), "body": past_end.response._response.json()},
            "by_family": by_family, "by_option": by_option,
            "missing": missing, "taken": taken, "bad_model": bad_model,
        })
        """,
        marengo=MARENGO,
        pegasus=PEGASUS,
    )
    created = got["retrieved"]
    assert created["id"] == got["created"]["id"]
    assert created["index_name"] == "Ads"
    assert created["models"] == [MARENGO, PEGASUS]
    assert created["addons"] == ["thumbnail"]
    assert (created["video_count"], created["total_duration"]) == (0, 0.0)
    assert created["created_at"].endswith("Z")
    assert got["renamed"]["index_name"] == "Ads 2026"
    stored = Index.objects.get(id=created["id"])
    assert stored.team == team_key[0].team
    assert stored.engines[0] == {
        "engine_name": "marengo3.0",
        "engine_options": ["visual", "text_in_video", "logo", "conversation"],
    }
    assert stored.engines[1] == {"engine_name": "pegasus1.2", "engine_options": ["visual", "conversation"]}
    all_ids = [created["id"], got["audio_only"], *got["extra"]]
    assert got["paged"] == all_ids
    assert got["past_end"]["items"] == []
    assert got["past_end"]["body"]["data"] == []
    assert got["by_family"] == [created["id"]]
    assert got["by_option"] == sorted([created["id"], *got["extra"]])
    assert got["missing"]["error"] == "NotFoundError" or got["missing"]["status"] == 404
    assert got["missing"]["body"]["code"] == "resource_not_exist"
    assert (got["taken"]["status"], got["taken"]["body"]["code"]) == (409, "index_name_already_exists")
    assert got["bad_model"]["error"] == "BadRequestError"
    assert got["bad_model"]["body"]["code"] == "model_not_supported"
