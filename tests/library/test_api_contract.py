"""The shape of the compatible API: routes, error bodies, bad input, team isolation, paging."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from library.models import Index, Task, Video
from tests.api_checks import Library, assert_error
from tests.factories import IndexFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # Every test makes a user; the production hasher would spend most of the run on it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def read_routes(lib: Library) -> list[str]:
    """Every GET route of the API, with ids of `lib` (paths without a trailing slash)."""
    video = f"indexes/{lib.index.id}/videos/{lib.video.id}"
    return [
        "engines",
        "engines/marengo2.6",
        "indexes",
        f"indexes/{lib.index.id}",
        f"indexes/{lib.index.id}/videos",
        video,
        f"{video}/transcription",
        f"{video}/text-in-video",
        f"{video}/logo",
        f"{video}/thumbnail",
        "tasks",
        f"tasks/status?index_id={lib.index.id}",
        f"tasks/{lib.task.id}",
    ]


def with_slash(route: str) -> str:
    path, _, query = route.partition("?")
    return f"{path}/?{query}" if query else f"{path}/"


# --- Routes -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1.2", "v1.1"])
def test_every_read_route_answers_with_and_without_a_trailing_slash(api: APIClient, library: Library, version: str):
    for route in read_routes(library):
        for path in (route, with_slash(route)):
            response = api.get(f"/{version}/{path}")
            assert response.status_code == 200, (path, response.status_code, response.content)
            assert response["Content-Type"] == "application/json"


def test_every_write_route_answers_with_and_without_a_trailing_slash(api: APIClient, library: Library, settings):
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]  # the URLs below are accepted, then fail in the worker
    engines = [{"engine_name": "marengo2.6", "engine_options": ["visual"]}]
    for suffix in ("", "/"):
        created = api.post(f"/v1.2/indexes{suffix}", {"index_name": f"new{suffix}", "engines": engines}, format="json")
        assert created.status_code == 201, created.content
        index_id = created.json()["_id"]
        renamed = api.put(f"/v1.2/indexes/{index_id}{suffix}", {"index_name": f"renamed{suffix}"}, format="json")
        assert renamed.status_code == 204
        task = api.post(
            f"/v1.2/tasks/external-provider{suffix}",
            {"index_id": index_id, "url": "http://127.0.0.1:9/a.mp4"},
            format="json",
        )
        assert task.status_code == 201, task.content
        by_url = api.post(f"/v1.2/tasks{suffix}", {"index_id": index_id, "video_url": "http://127.0.0.1:9/b.mp4"})
        assert by_url.status_code == 201, by_url.content
        video = f"/v1.2/indexes/{library.index.id}/videos/{library.video.id}{suffix}"
        assert api.put(video, {"video_title": f"title{suffix}"}, format="json").status_code == 204
        assert api.delete(f"/v1.2/indexes/{index_id}{suffix}").status_code == 204
    assert api.delete(f"/v1.2/tasks/{library.task.id}/").status_code == 204
    assert api.delete(f"/v1.2/indexes/{library.index.id}/videos/{library.video.id}/").status_code == 204


# --- Error bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/v1.2/nothing", "/v1.2/nothing/", "/v1.2/indexes/abc/videos/def/frames", "/v1.1/search-v9", "/v1.2"],
)
def test_an_unknown_path_is_a_json_404(api: APIClient, path: str):
    assert_error(api.get(path), 404, "resource_not_exist")
    assert_error(api.post(path, {}, format="json"), 404, "resource_not_exist")


def test_a_missing_or_wrong_key_is_a_json_401(library: Library):
    anonymous = APIClient()
    assert_error(anonymous.get("/v1.2/indexes"), 401, "api_key_invalid")
    anonymous.credentials(HTTP_X_API_KEY="tlk_wrong")
    assert_error(anonymous.get(f"/v1.2/indexes/{library.index.id}"), 401, "api_key_invalid")


def test_a_wrong_method_is_a_json_405(api: APIClient, library: Library):
    assert_error(api.delete("/v1.2/engines"), 405, "method_not_allowed")
    assert_error(api.patch(f"/v1.2/indexes/{library.index.id}", {}, format="json"), 405, "method_not_allowed")
    assert_error(api.get("/v1.2/tasks/external-provider"), 405, "method_not_allowed")
    assert_error(api.put("/v1.2/tasks", {}, format="json"), 405, "method_not_allowed")


def test_unknown_ids_are_json_404s(api: APIClient, library: Library):
    missing = "0123456789abcdef01234567"
    for path in (
        f"/v1.2/indexes/{missing}",
        f"/v1.2/indexes/{missing}/videos",
        f"/v1.2/indexes/{library.index.id}/videos/{missing}",
        f"/v1.2/tasks/{missing}",
        f"/v1.2/tasks/status?index_id={missing}",
        "/v1.2/engines/marengo9",
    ):
        assert_error(api.get(path), 404, "resource_not_exist")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"index_name": "x", ', "application/json"),
        ("[1, 2]", "application/json"),
        ("null", "application/json"),
        ('"just a string"', "application/json"),
        (b"\xff\xfe not utf-8", "application/json"),
        ("index_name=x", "text/plain"),
        ("--nothing--", "multipart/form-data"),
    ],
)
def test_a_malformed_body_is_a_json_400(api: APIClient, body: str | bytes, content_type: str):
    assert_error(api.generic("POST", "/v1.2/indexes", body, content_type=content_type), 400, "parameter_invalid")


MARENGO = {"engine_name": "marengo2.6", "engine_options": ["visual", "conversation"]}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"engines": [MARENGO]}, "parameter_not_provided"),
        ({"index_name": "", "engines": [MARENGO]}, "parameter_not_provided"),
        ({"index_name": 123, "engines": [MARENGO]}, "parameter_invalid"),
        ({"index_name": ["a"], "engines": [MARENGO]}, "parameter_invalid"),
        ({"index_name": "x" * 201, "engines": [MARENGO]}, "parameter_invalid"),
        ({"index_name": "x"}, "parameter_not_provided"),
        ({"index_name": "x", "engines": None}, "parameter_not_provided"),
        ({"index_name": "x", "engines": []}, "parameter_invalid"),
        ({"index_name": "x", "engines": "marengo2.6"}, "parameter_invalid"),
        ({"index_name": "x", "engines": {"engine_name": "marengo2.6"}}, "parameter_invalid"),
        ({"index_name": "x", "engines": ["marengo2.6"]}, "parameter_invalid"),
        (
            {"index_name": "x", "engines": [{"engine_name": "gpt-4", "engine_options": ["visual"]}]},
            "engine_not_supported",
        ),
        ({"index_name": "x", "engines": [{"engine_options": ["visual"]}]}, "parameter_not_provided"),
        (
            {"index_name": "x", "engines": [{"engine_name": ["marengo2.6"], "engine_options": ["visual"]}]},
            "engine_not_supported",
        ),
        (
            {"index_name": "x", "engines": [{"engine_name": "marengo2.6", "engine_options": ["smell"]}]},
            "parameter_invalid",
        ),
        (
            {"index_name": "x", "engines": [{"engine_name": "marengo2.6", "engine_options": "visual"}]},
            "parameter_invalid",
        ),
        (
            {"index_name": "x", "engines": [{"engine_name": "marengo2.6", "engine_options": [["visual"]]}]},
            "parameter_invalid",
        ),
        (
            {"index_name": "x", "engines": [{"engine_name": "marengo2.6", "engine_options": [{"a": 1}]}]},
            "parameter_invalid",
        ),
        (
            {"index_name": "x", "engines": [{"engine_name": "pegasus1.1", "engine_options": ["logo"]}]},
            "parameter_invalid",
        ),
        ({"index_name": "x", "engines": [MARENGO, MARENGO]}, "parameter_invalid"),
        ({"index_name": "x", "engines": [MARENGO], "addons": "thumbnail"}, "parameter_invalid"),
        ({"index_name": "x", "engines": [MARENGO], "addons": ["hls"]}, "parameter_invalid"),
        ({"index_name": "x", "engines": [MARENGO], "addons": [["thumbnail"]]}, "parameter_invalid"),
        ({"index_name": "x", "engines": [MARENGO], "colour": "blue"}, "parameter_unknown"),
        ({"index_name": "x", "engine_id": "marengo2.6", "index_options": "visual"}, "parameter_invalid"),
        ({"index_name": "x", "engine_id": 7, "index_options": ["visual"]}, "engine_not_supported"),
    ],
)
def test_a_bad_index_body_is_a_json_400(api: APIClient, body: dict[str, Any], code: str):
    assert_error(api.post("/v1.2/indexes", body, format="json"), 400, code)
    assert not Index.objects.filter(team=api.team).exists()  # type: ignore[attr-defined]


def test_bad_bodies_for_tasks_and_videos_are_json_400s(api: APIClient, library: Library):
    video = f"/v1.2/indexes/{library.index.id}/videos/{library.video.id}"
    index_id = library.index.id
    cases = [
        ("post", "/v1.2/tasks", {}, "parameter_not_provided"),
        ("post", "/v1.2/tasks", {"index_id": index_id}, "parameter_not_provided"),
        ("post", "/v1.2/tasks", {"index_id": index_id, "video_url": "ftp://host/a.mp4"}, "parameter_invalid"),
        ("post", "/v1.2/tasks", {"index_id": index_id, "video_url": 5}, "parameter_not_provided"),
        (
            "post",
            "/v1.2/tasks",
            {"index_id": index_id, "video_url": "http://h/a.mp4", "language": ["en"]},
            "parameter_invalid",
        ),
        ("post", "/v1.2/tasks/external-provider", {"index_id": index_id}, "parameter_not_provided"),
        ("post", "/v1.2/tasks/external-provider", {"index_id": index_id, "url": 5}, "parameter_invalid"),
        ("post", "/v1.2/tasks/external-provider", {"index_id": index_id, "url": "youtube"}, "parameter_invalid"),
        ("put", video, {"video_title": 5}, "parameter_invalid"),
        ("put", video, {"metadata": ["a"]}, "parameter_invalid"),
        ("put", video, {"metadata": {"nested": {"a": 1}}}, "parameter_invalid"),
        ("put", video, {"colour": "blue"}, "parameter_unknown"),
        ("put", f"/v1.2/indexes/{index_id}", {}, "parameter_not_provided"),
        ("put", f"/v1.2/indexes/{index_id}", {"index_name": 5}, "parameter_invalid"),
    ]
    for method, path, payload, code in cases:
        response = getattr(api, method)(path, payload, format="json")
        assert_error(response, 400, code)
    # A JSON index_id of the wrong type is simply an index that does not exist.
    for index_id_value in (5, ["x"], {"a": 1}):
        assert_error(
            api.post("/v1.2/tasks", {"index_id": index_id_value, "video_url": "http://h/a.mp4"}, format="json"),
            404,
            "resource_not_exist",
        )
    assert_error(api.get("/v1.2/tasks/status"), 400, "parameter_not_provided")
    assert Task.objects.count() == 1


@pytest.mark.parametrize(
    "query",
    [
        "page_limit=0",
        "page_limit=51",
        "page_limit=abc",
        "page_limit=1.5",
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999999999999",
        "sort_option=sideways",
        "sort_by=name",
        "created_at=yesterday",
        "created_at=2024-13-45",
        "created_at[gte]=",
        "created_at[around]=2024-01-01",
        "engine_family=gpt",
    ],
)
def test_bad_index_list_params_are_json_400s(api: APIClient, library: Library, query: str):
    assert_error(api.get(f"/v1.2/indexes?{query}"), 400, "parameter_invalid")


@pytest.mark.parametrize(
    "path",
    [
        "tasks?status=sleeping",
        "tasks?duration=abc",
        "tasks?width=1e400",
        "tasks?width=99999999999999999999999",
        "indexes/{index}/videos?duration[gte]=abc",
        "indexes/{index}/videos?size=1e400",
        "indexes/{index}/videos?size[lte]=99999999999999999999999",
        "indexes/{index}/videos?fps=infinity",
        "indexes/{index}/videos?indexed_at[lt]=noon",
        "indexes/{index}/videos?page_limit=51",
        "indexes/{index}/videos/{video}/thumbnail?time=abc",
        "indexes/{index}/videos/{video}/transcription?start=abc",
        "indexes/{index}/videos/{video}/transcription?start=5&end=1",
        "indexes/{index}/videos/{video}/transcription?start=-1",
    ],
)
def test_bad_params_elsewhere_are_json_400s(api: APIClient, library: Library, path: str):
    url = "/v1.2/" + path.format(index=library.index.id, video=library.video.id)
    assert_error(api.get(url), 400, "parameter_invalid")


def test_an_option_the_index_lacks_is_a_json_400(api: APIClient, library: Library):
    index = IndexFactory(team=api.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual"]}])  # type: ignore[attr-defined]
    video = Video.objects.create(
        index=index, file="videos/v.mp4", filename="v.mp4", sha256="1" * 64, duration=5, fps=25, width=640,
        height=360, size=1, indexed_at=timezone.now(),
    )  # fmt: skip
    assert_error(api.get(f"/v1.2/indexes/{index.id}/videos/{video.id}/logo"), 400, "index_option_not_enabled")
    assert_error(api.get(f"/v1.2/indexes/{index.id}/videos/{video.id}/thumbnail"), 400, "thumbnail_not_available")


# --- Team isolation ---------------------------------------------------------------------


def test_another_team_sees_nothing_of_a_team(api: APIClient, other_api: APIClient, library: Library):
    name = library.index.name
    for route in read_routes(library):
        path = f"/v1.2/{route}"
        if route in ("engines", "engines/marengo2.6"):
            continue
        if route in ("indexes", "tasks"):
            assert other_api.get(path).json()["data"] == []
            continue
        assert_error(other_api.get(path), 404, "resource_not_exist")
    assert other_api.get("/v1.2/tasks", {"index_id": library.index.id}).json()["data"] == []
    assert other_api.get("/v1.2/tasks", {"filename": "clip.mp4"}).json()["data"] == []

    index = f"/v1.2/indexes/{library.index.id}"
    video = f"{index}/videos/{library.video.id}"
    assert_error(other_api.put(index, {"index_name": "mine now"}, format="json"), 404, "resource_not_exist")
    assert_error(other_api.put(video, {"video_title": "mine now"}, format="json"), 404, "resource_not_exist")
    assert_error(
        other_api.post("/v1.2/tasks", {"index_id": library.index.id, "video_url": "http://h/a.mp4"}),
        404,
        "resource_not_exist",
    )
    assert_error(
        other_api.post(
            "/v1.2/tasks/external-provider", {"index_id": library.index.id, "url": "http://h/a.mp4"}, format="json"
        ),
        404,
        "resource_not_exist",
    )
    assert_error(other_api.delete(f"/v1.2/tasks/{library.task.id}"), 404, "resource_not_exist")
    assert_error(other_api.delete(video), 404, "resource_not_exist")
    assert_error(other_api.delete(index), 404, "resource_not_exist")

    # Nothing changed, and the owner still sees everything.
    library.index.refresh_from_db()
    library.video.refresh_from_db()
    assert (library.index.name, library.video.title) == (name, "")
    assert Task.objects.filter(index=library.index).count() == 1
    assert [row["_id"] for row in api.get("/v1.2/indexes").json()["data"]] == [library.index.id]

    # The same name is free in another team.
    created = other_api.post("/v1.2/indexes", {"index_name": library.index.name, "engines": [MARENGO]}, format="json")
    assert created.status_code == 201


# --- Paging and bodies ------------------------------------------------------------------


def test_index_pages_carry_twelve_labs_page_info(api: APIClient):
    ids = [
        api.post("/v1.2/indexes", {"index_name": f"index {n}", "engines": [MARENGO]}, format="json").json()["_id"]
        for n in range(5)
    ]
    first = api.get("/v1.2/indexes", {"page_limit": 2, "sort_option": "asc"}).json()
    assert first["page_info"] == {"limit_per_page": 2, "page": 1, "total_page": 3, "total_results": 5}
    assert [row["_id"] for row in first["data"]] == ids[:2]

    last = api.get("/v1.2/indexes", {"page": 3, "page_limit": 2, "sort_option": "asc"}).json()
    assert [row["_id"] for row in last["data"]] == ids[4:]
    assert last["page_info"]["page"] == 3

    beyond = api.get("/v1.2/indexes", {"page": 4, "page_limit": 2}).json()
    assert beyond["data"] == []
    assert beyond["page_info"] == {"limit_per_page": 2, "page": 4, "total_page": 3, "total_results": 5}

    default = api.get("/v1.2/indexes").json()
    assert default["page_info"]["limit_per_page"] == 10
    assert [row["_id"] for row in default["data"]] == ids[::-1]  # newest first by default

    seed_query = api.get("/v1.2/indexes?page=1&page_limit=10&sort_by=created_at&sort_option=asc",
                         content_type="application/json").json()  # fmt: skip
    assert [row["_id"] for row in seed_query["data"]] == ids


def test_an_index_row_has_the_v12_and_v11_fields(api: APIClient, library: Library):
    row = api.get("/v1.2/indexes").json()["data"][0]
    assert row["_id"] == library.index.id
    assert row["engines"] == library.index.engines
    assert (row["video_count"], row["total_duration"], row["addons"]) == (1, 6.0, ["thumbnail"])
    assert row["created_at"].endswith("Z") and row["expires_at"] is None
    assert (row["engine_id"], row["index_options"]) == (
        "marengo2.6",
        ["conversation", "logo", "text_in_video", "visual"],
    )


def test_the_v11_index_body_creates_an_index(api: APIClient):
    body = {"index_name": "insta+tiktok", "engine_id": "marengo2.5", "index_options": ["visual", "conversation"]}
    response = api.post("/v1.1/indexes", body, format="json")
    assert response.status_code == 201
    index_id = response.json()["_id"]
    index = Index.objects.get(id=index_id)
    assert index.engines == [{"engine_name": "marengo2.5", "engine_options": ["visual", "conversation"]}]
    assert index.addons == []

    row = api.get(f"/v1.1/indexes/{index_id}").json()
    assert (row["index_name"], row["engine_id"], row["index_options"]) == (
        "insta+tiktok",
        "marengo2.5",
        ["conversation", "visual"],
    )
    assert_error(api.post("/v1.1/indexes", body, format="json"), 409, "index_name_already_exists")
