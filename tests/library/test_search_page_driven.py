"""A page-driven search on pgvector's graph shows the whole answer's pages, reading only the rows they need.

A `low` search of a big library passes ~1 % of its segments; the first page is computed
from the best rows (search.query.PAGE_DEPTHS), deeper reads only when a page is not
certain yet, and the clips of a partial read keep the extent they have in the whole
answer (their passing neighbours are looked up). Skips on SQLite (CI runs it on
PostgreSQL with pgvector).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.rules import Actor
from library import vector_store
from library.engine import get_engine
from library.models import Index, Segment, Video
from library.synthetic_library import synthetic_library_load
from search import pg_backend, pg_read, query, scoring
from search.public import Leaf, SearchSpec, search_run

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system("tests")


@pytest.fixture
def library(index: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    if connection.vendor != "postgresql":
        pytest.skip("pgvector needs PostgreSQL (CI runs this on embedded PostgreSQL with pgvector)")
    vector_store.forget_table_state()
    assert vector_store.table_exists()
    settings.FRAMEWISE_VECTOR_BACKEND = "pgvector"
    monkeypatch.setattr(pg_read, "EXACT_BELOW", 0)  # the graph, as on a big library
    monkeypatch.setattr(query, "PAGE_DEPTHS", (20, 200, scoring.MAX_CANDIDATES))
    synthetic_library_load(actor=SYSTEM, index=index, segments=3000, segments_per_video=10, seed=5)
    return index


@contextmanager
def _graph_plans() -> Iterator[None]:
    """The graph's plan for the graph's expression, however small the test's table: the planner
    may otherwise sort a few thousand rows from the btree (stale statistics after a flush)."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    depths: list[int | None] = []
    read = pg_backend.read

    def recording(**kwargs: Any) -> pg_read.Read:
        depths.append(kwargs.get("depth"))
        return read(**kwargs)

    monkeypatch.setattr(pg_backend, "read", recording)
    return depths


def _whole(library: Any, spec: SearchSpec, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The whole answer, from an exact scan: every passing row, none missed by a graph walk."""
    with monkeypatch.context() as patch:
        patch.setattr(pg_read, "EXACT_BELOW", 1_000_000)
        return search_run(spec=spec, indexes=[library])


def test_the_first_page_is_the_whole_answers_first_page(library: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SearchSpec(query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation",))
    whole = _whole(library, spec, monkeypatch)
    assert whole.complete and whole.total_results > 60
    # Several clips of the whole answer run over more than one cell: extents are tested.
    assert any(moment.end - moment.start > 4.5 for moment in whole.page(offset=0, limit=whole.total_results))

    depths = _reads(monkeypatch)
    first = search_run(spec=spec, indexes=[library], need=10)
    assert depths == [20]  # twenty rows read, not every passing one
    assert not first.complete and first.certain >= 10 and first.more_after(10)
    assert first.page(offset=0, limit=10) == whole.page(offset=0, limit=10)

    depths.clear()
    deeper = search_run(spec=spec, indexes=[library], need=60)
    assert depths[0] == 200 and deeper.certain >= 60  # 20 rows cannot hold 60 clips: not read
    assert depths[-1] in (200, scoring.MAX_CANDIDATES)
    assert deeper.page(offset=50, limit=10) == whole.page(offset=50, limit=10)


def test_paging_through_the_api_gives_every_clip_once_best_first(
    api: Any, library: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"index_id": library.id, "query": "lion tiger zebra", "search_options": ["conversation"], "page_limit": 25}
    spec = SearchSpec(query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation",))
    whole = _whole(library, spec, monkeypatch)
    expected = [(m.video_id, m.start, m.end, m.score) for m in whole.page(offset=0, limit=whole.total_results)]
    response = api.post("/v1.2/search", body, format="json")
    assert response.status_code == 200
    pages = [response.json()]
    while token := pages[-1]["page_info"].get("next_page_token"):
        response = api.get(f"/v1.2/search/{token}")
        assert response.status_code == 200
        pages.append(response.json())
    seen = [(c["video_id"], c["start"], c["end"], c["score"]) for page in pages for c in page["data"]]
    # The pages read from the best rows are the exact answer's pages...
    assert seen[:100] == expected[:100]
    # ...and the rest (pages between the depths come from a graph walk read deeper, with their
    # clips' neighbours looked up), still every clip once, best first.
    assert len(set(seen)) == len(seen) and [c[3] for c in seen] == sorted((c[3] for c in seen), reverse=True)
    assert abs(len(seen) - len(expected)) <= len(expected) // 100
    # The first page counted the clips it had found; the last one knows the whole answer.
    assert pages[0]["page_info"]["total_results"] < len(seen) == pages[-1]["page_info"]["total_results"]


def test_trees_groups_and_small_scopes_read_the_whole_answer(library: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    depths = _reads(monkeypatch)
    grouped = SearchSpec(
        query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation",), group_by="video"
    )
    assert search_run(spec=grouped, indexes=[library], need=10).complete and depths == [None]
    # Verbatim hits (an exact phrase) are found whole: the whole answer is read.
    depths.clear()
    verbatim = SearchSpec(
        query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation", "visual"),
        conversation_option="exact_match",
    )  # fmt: skip
    assert search_run(spec=verbatim, indexes=[library], need=10).complete and depths == [None]
    # An exact scan (a small index or a selective filter) reads every passing row: nothing to skip.
    monkeypatch.setattr(pg_read, "EXACT_BELOW", 20_000)
    depths.clear()
    spec = SearchSpec(query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation",))
    outcome = search_run(spec=spec, indexes=[library], need=10)
    assert outcome.complete and depths == [20] and not outcome.more_after(outcome.total_results)


def test_a_whole_answer_is_scanned_exactly_up_to_the_deep_bound(library: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every passing row of a big answer: a graph walk read thousands of rows deep returns only part
    of the exact best rows (half of the best 10,000 at 1M), so a scope up to EXACT_DEEP_BELOW
    vectors is scanned exactly once more than a chunk passes; a page's shallow read stays a walk."""
    vector = get_engine().embed_texts(["lion tiger zebra"])[0]

    def read(**kwargs: Any) -> tuple[pg_read.Read, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            found = pg_read.read(index_id=library.id, option="conversation", vector=vector, allowed=None, **kwargs)
        return found, [query["sql"] for query in queries if "ORDER BY distance" in query["sql"]]

    def exact_scan(sql: str) -> bool:  # ordered by the raw column, which no graph serves
        return "(v.embedding <#>" in sql

    whole, sql = read(floor=-1.0)
    assert len(whole.rows) == 3000 and whole.boundary is None
    assert [exact_scan(statement) for statement in sql] == [False, True]  # the first chunk, then exactly
    with monkeypatch.context() as patch:
        patch.setattr(pg_read, "EXACT_BELOW", 1_000_000)
        plain, _ = read(floor=-1.0)
    assert [row[:5] for row in whole.rows] == [row[:5] for row in plain.rows]

    page, sql = read(floor=-1.0, depth=20)
    assert not any(exact_scan(statement) for statement in sql) and page.boundary is not None
    few, sql = read(floor=whole.rows[39][5])  # 40 pass, most of a chunk not: the first chunk is the answer
    assert 30 <= len(few.rows) <= 40 and len(sql) == 1 and not exact_scan(sql[0])

    monkeypatch.setattr(pg_read, "EXACT_DEEP_BELOW", 2_999)  # a scope past the bound: the graph
    walked, sql = read(floor=-1.0)
    assert walked.rows and not any(exact_scan(statement) for statement in sql)


@pytest.mark.parametrize("operator", ["or", "and"])
def test_two_options_first_pages_are_the_whole_answers(
    library: Any, monkeypatch: pytest.MonkeyPatch, operator: str
) -> None:
    """Each option's best rows are read; every cell read is scored in the other option too, and
    a clip's cells next to it in either: the clips, their scores, modules and extents are the
    whole answer's."""
    spec = SearchSpec(
        query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation", "visual"),
        operator=operator, threshold="none",
    )  # fmt: skip
    whole = _whole(library, spec, monkeypatch)
    assert whole.complete and whole.total_results > 60
    clips = whole.page(offset=0, limit=60)
    # The answer's best clips draw on both options (modules), and some span several cells.
    assert any(len(clip.modules) == 2 for clip in clips[:10])
    assert any(clip.end - clip.start > 4.5 for clip in clips)

    depths = _reads(monkeypatch)
    first = search_run(spec=spec, indexes=[library], need=10)
    assert depths == [20, 20] and not first.complete and first.certain >= 10
    assert first.page(offset=0, limit=10) == whole.page(offset=0, limit=10)
    depths.clear()
    deeper = search_run(spec=spec, indexes=[library], need=60)
    assert depths[:2] == [200, 200] and deeper.certain >= 60
    assert deeper.page(offset=0, limit=60) == clips


def test_an_option_every_video_skipped_leaves_the_answer_to_the_others(
    library: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`and` over conversation and a visual option no video has: the search answers with
    conversation alone (query.py leaves the skipped option out), and its pages must not be
    declared complete because the skipped option's empty read "reached its end"."""
    Video.objects.filter(index=library).update(skipped={"visual": "no visual model when indexed"})
    Segment.objects.filter(video__index=library).update(visual_vector=None)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {vector_store.TABLE} WHERE index_id = %s AND option = 'visual'", [library.id])
    Index.objects.filter(id=library.id).update(content_version=F("content_version") + 1)
    library.refresh_from_db()
    spec = SearchSpec(
        query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation", "visual"),
        operator="and",
    )  # fmt: skip
    whole = _whole(library, spec, monkeypatch)
    assert whole.total_results > 60 and {m for clip in whole.page(offset=0, limit=60) for m, _ in clip.modules} == {
        "conversation"
    }
    depths = _reads(monkeypatch)
    first = search_run(spec=spec, indexes=[library], need=10)
    assert depths == [20] and not first.complete and first.more_after(10)
    assert first.page(offset=0, limit=10) == whole.page(offset=0, limit=10)


def test_a_graph_walk_cut_short_is_read_again_exactly(
    library: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """A walk that ends before the rows asked for while they still pass (here: no iterative scan,
    ten candidates; in production hnsw.max_scan_tuples or the scan's memory) has not seen the
    scope: it is scanned exactly, not taken for the whole answer."""
    settings.FRAMEWISE_HNSW_EF_SEARCH = 10
    monkeypatch.setattr(pg_read, "ITERATIVE_SCAN", "off")
    spec = SearchSpec(
        query=Leaf(text="lion tiger zebra"), index_ids=(library.id,), options=("conversation",), threshold="none"
    )
    vector = get_engine().embed_texts(["lion tiger zebra"])[0]
    with monkeypatch.context() as patch, _graph_plans():
        patch.setattr(pg_read, "EXACT_DEEP_BELOW", 0)
        walked = pg_read.read(index_id=library.id, option="conversation", vector=vector, floor=-1.0, allowed=None)
    assert len(walked.rows) == 10  # the walk's ten candidates, taken for every row
    with _graph_plans():
        read = pg_read.read(index_id=library.id, option="conversation", vector=vector, floor=-1.0, allowed=None)
    assert len(read.rows) == 3000 and read.boundary is None
    whole = _whole(library, spec, monkeypatch)
    with _graph_plans():
        outcome = search_run(spec=spec, indexes=[library], need=10)
    assert outcome.complete and outcome.total_results == whole.total_results
    assert outcome.page(offset=0, limit=10) == whole.page(offset=0, limit=10)
