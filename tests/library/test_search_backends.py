"""The two vector backends (search/backend.py) answer the same, and pgvector reads from the database only.

Parity runs the same searches and classification on the generated corpus
(search_corpus.py) through the in-process matrices and through pgvector, in exact mode
(a small index is scanned exactly by both): same clips in the same order, scores within
0.5. The pgvector tests skip on SQLite only; CI (.ci/run) runs them on embedded
PostgreSQL 18 with pgvector.
"""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

from dataclasses import replace
from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection

from core.rules import Actor
from library import vector_store
from library.synthetic_library import synthetic_library_load
from search import matrix, pg_read, scoring
from search.public import Leaf, SearchSpec, search_run
from tests.library.search_corpus import MOMENTS, cached_analysis, corpus, corpus_paths  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system("tests")


@pytest.fixture
def pgvector(settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pgvector needs PostgreSQL (CI runs these on embedded PostgreSQL with pgvector)")
    vector_store.forget_table_state()
    assert vector_store.table_exists(), "PostgreSQL without the vector extension: use tools/embedded_pg.py"
    settings.FRAMEWISE_VECTOR_BACKEND = "pgvector"


def _searches() -> list[dict[str, Any]]:
    searches: list[dict[str, Any]] = []
    for moment in MOMENTS:
        searches += [
            {"query": moment.paraphrase, "search_options": ["conversation"]},
            {"query": moment.quoted, "search_options": ["conversation"], "conversation_option": "exact_match"},
            {"query": moment.caption_query, "search_options": ["text_in_video", "logo"]},
            {"query": moment.paraphrase, "search_options": ["conversation", "text_in_video"], "threshold": "none"},
        ]
    searches.append({"query": "cooking", "search_options": ["conversation"], "group_by": "video"})
    searches.append({"query": "the weather", "search_options": ["conversation", "text_in_video"], "operator": "and"})
    return searches


def _hits(api: Any, index_id: str, body: dict[str, Any]) -> list[tuple[str, float, float, float, str]]:
    response = api.post("/v1.2/search", {"index_id": index_id, "page_limit": 50, **body}, format="json")
    assert response.status_code == 200, response.content
    found = []
    for item in response.json()["data"]:
        for clip in item.get("clips", [item]):
            found.append((clip["video_id"], clip["start"], clip["end"], clip["score"], clip["confidence"]))
    return found


def test_both_backends_find_the_same_clips_in_the_same_order(
    api: Any, index: Any, corpus: dict[str, str], settings: Any, pgvector: None
) -> None:
    filtered = {"filter": {"id": [corpus["kitchen.mp4"]]}}
    searches = _searches() + [{**body, **filtered} for body in _searches()[:8]]
    answers = {}
    for name in ("memory", "pgvector"):
        settings.FRAMEWISE_VECTOR_BACKEND = name
        answers[name] = [_hits(api, index.id, body) for body in searches]
    assert sum(map(len, answers["memory"])) > 40
    for body, mine, theirs in zip(searches, answers["memory"], answers["pgvector"], strict=True):
        assert [h[:3] for h in mine] == [h[:3] for h in theirs], body
        assert all(abs(a[3] - b[3]) <= 0.5 for a, b in zip(mine, theirs, strict=True)), (body, mine, theirs)


def test_both_backends_classify_alike(
    api: Any, index: Any, corpus: dict[str, str], settings: Any, pgvector: None
) -> None:
    classes = [{"name": moment.quoted, "prompts": [moment.paraphrase, moment.caption_query]} for moment in MOMENTS]
    threshold = {"min_video_score": 0, "min_clip_score": 0, "min_duration_ratio": 0.01}
    body = {
        "index_id": index.id,
        "options": ["conversation", "text_in_video"],
        "classes": classes,
        "threshold": threshold,
    }
    answers = {}
    for name in ("memory", "pgvector"):
        settings.FRAMEWISE_VECTOR_BACKEND = name
        response = api.post("/v1.2/classify/bulk", body, format="json")
        assert response.status_code == 200, response.content
        answers[name] = [
            (row["video_id"], [(c["name"], c["score"], c["duration_ratio"]) for c in row["classes"]])
            for row in response.json()["data"]
        ]
    assert answers["memory"] and answers["memory"] == answers["pgvector"]


def test_pgvector_search_loads_no_index_and_sees_writes_at_once(
    api: Any, index: Any, corpus: dict[str, str], pgvector: None
) -> None:
    matrix.clear_cache()
    kitchen = corpus["kitchen.mp4"]
    assert kitchen in {
        h[0] for h in _hits(api, index.id, {"query": "cooking pasta", "search_options": ["conversation"]})
    }
    # Searchable at the commit that makes a video ready: no rebuild, no version, no wait.
    synthetic_library_load(actor=SYSTEM, index=index, segments=40, segments_per_video=20, seed=3)
    said = "apple banana cherry"
    spec = SearchSpec(query=Leaf(text=said), index_ids=(index.id,), options=("conversation",), threshold="none")
    outcome = search_run(spec=spec, indexes=[index])
    assert {m.video_id for m in outcome.page(offset=0, limit=100)} - set(corpus.values())
    # Gone at the commit that deletes it.
    assert api.delete(f"/v1.2/indexes/{index.id}/videos/{kitchen}").status_code == 204
    after = _hits(api, index.id, {"query": "cooking pasta", "search_options": ["conversation"], "threshold": "none"})
    assert after and kitchen not in {h[0] for h in after}
    exact = {"query": "cooking pasta", "search_options": ["conversation"], "conversation_option": "exact_match"}
    assert _hits(api, index.id, exact) == []
    assert not matrix._cache._entries  # no process holds an index's vectors


@pytest.mark.parametrize("backend", ["memory", "pgvector"])
def test_a_selective_filter_still_returns_every_segment_above_the_threshold(
    api: Any, index: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    if backend == "pgvector":
        if connection.vendor != "postgresql":
            pytest.skip("pgvector needs PostgreSQL")
        # The graph (an iterative scan), not an exact scan: 1 % of the library is 30 segments.
        monkeypatch.setattr(pg_read, "EXACT_BELOW", 0)
        monkeypatch.setattr(pg_read, "EXACT_BELOW_FILTERED", 0)
        monkeypatch.setattr(pg_read, "EXACT_DEEP_BELOW", 0)  # a walk that ends early is not redone exactly
    settings.FRAMEWISE_VECTOR_BACKEND = backend
    monkeypatch.setattr(scoring, "MAX_CANDIDATES", 50)
    synthetic_library_load(actor=SYSTEM, index=index, segments=3000, segments_per_video=10, seed=5)
    one_percent = {"bucket": {"lt": 3}}  # videos 0, 1, 2 of 300
    spec = SearchSpec(
        query=Leaf(text="lion tiger zebra"), index_ids=(index.id,), options=("conversation",), threshold="none",
        filter=one_percent,
    )  # fmt: skip
    unfiltered = search_run(spec=replace(spec, filter={}), indexes=[index])
    assert len(unfiltered.hits[0]) == 50  # the cut
    outcome = search_run(spec=spec, indexes=[index])
    assert len(outcome.hits[0]) == 30
    assert {m.video_id for m in outcome.page(offset=0, limit=100)} == set(
        index.videos.filter(user_metadata__bucket__lt=3).values_list("id", flat=True)
    )


def test_a_forced_pgvector_backend_without_the_extension_stops_the_start(
    settings: Any, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    settings.FRAMEWISE_VECTOR_BACKEND = "pgvector"
    if connection.vendor == "postgresql":
        monkeypatch.setattr(vector_store, "extension_available", lambda connection: False)
        expected = "search.E003"
    else:
        expected = "search.E001"
    errors = [message for message in run_checks() if message.id.startswith("search.")]
    assert [error.id for error in errors] == [expected]
    assert "FRAMEWISE_VECTOR_BACKEND=pgvector" in errors[0].msg
    settings.FRAMEWISE_VECTOR_BACKEND = "auto"
    assert not [message for message in run_checks() if message.id.startswith("search.")]


def test_the_graphs_are_rebuilt_with_the_configured_parameters_while_searches_go_on(
    api: Any, index: Any, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pgvector needs PostgreSQL")
    vector_store.forget_table_state()
    settings.FRAMEWISE_VECTOR_BACKEND = "pgvector"
    synthetic_library_load(actor=SYSTEM, index=index, segments=200, segments_per_video=20, seed=7)
    body = {"index_id": index.id, "query": "lion tiger zebra", "search_options": ["conversation"], "threshold": "none"}
    before = api.post("/v1.2/search", body, format="json").json()["data"]

    def definition() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'segvec_hnsw_conversation_384%'")
            rows = [row[0] for row in cursor.fetchall()]
        assert len(rows) == 1  # no graph left beside it
        return rows[0]

    assert "m='16'" in definition() and "ef_construction='64'" in definition()
    settings.FRAMEWISE_HNSW_M, settings.FRAMEWISE_HNSW_EF_CONSTRUCTION = 8, 32
    out = StringIO()
    try:
        call_command("rebuild_vector_graphs", stdout=out)
        assert "m='8'" in definition() and "ef_construction='32'" in definition()
        assert "segvec_hnsw_conversation_384:" in out.getvalue()
        after = api.post("/v1.2/search", body, format="json").json()["data"]
        assert after and [clip["video_id"] for clip in after] == [clip["video_id"] for clip in before]
    finally:  # the test database's graphs outlive the test: back to the defaults
        settings.FRAMEWISE_HNSW_M, settings.FRAMEWISE_HNSW_EF_CONSTRUCTION = 16, 64
        call_command("rebuild_vector_graphs", stdout=StringIO())
    assert "m='16'" in definition()
