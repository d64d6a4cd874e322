"""The pgvector backend: a search reads from PostgreSQL only the segments it can return.

Per search (`search_view`), for one index:

1. the filter (video ids, metadata) becomes the list of allowed videos, one query;
2. each semantic (leaf, option) of the query is one SQL query over the option's HNSW
   graph, restricted to the index and the allowed videos *inside* the index scan
   (iterative scan, `hnsw.iterative_scan = strict_order`, read through a server-side
   cursor that stops at the first row below the raw cosine the threshold maps to, so the
   graph is walked only as far as the answer goes), best first, at most
   scoring.MAX_CANDIDATES rows: so a filter that
   selects 1 % of a million segments still returns every segment above the threshold.
   When the index holds few vectors (`EXACT_BELOW`; a filter's scope up to
   `EXACT_BELOW_FILTERED`), the same query
   orders by the raw column instead, which no graph serves: an exact scan of those rows
   through the (index, option, video) btree, exact recall for selective filters;
3. exact_match phrases and on-screen text find their candidate videos in the database
   (lexical.py: the transcript's full-text GIN index), and those videos are loaded
   whole (words, spans, segments) so the in-process phrase matcher scores them exactly
   as it scores a whole index;
4. the answer is an `IndexMatrices` holding only those videos and segments, with the
   semantic candidates attached (`IndexMatrices.semantic`): clips, calibration, scores
   and pages are computed by the same code as in process.

Nothing is cached: a video is searchable at the commit that makes it ready (its vector
rows commit with its segments), gone at the commit that deletes it, and no process
holds vectors.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL, EngineError
from library.models import Index, Video
from library.vector_store import TABLE, VectorBackendMissing
from search import calibration, lexical
from search.embeddings import visual_calibration
from search.filters import video_filter
from search.matrix import IndexMatrices, SemanticRows, assemble_matrices, index_skipped
from search.spec import Leaf, SearchSpec, leaves

# Below this many vectors in scope (index x option x allowed videos) a query scans them
# exactly: ~10 ms for 20k 384-d rows, and exact recall where a graph walk would have to
# skip most of what it visits.
EXACT_BELOW = 20_000
# A filtered scope is scanned exactly up to this many vectors: the graph walk of a 10 % filter
# visits the whole graph in distance order and drops nine rows in ten, so it is both slower and
# lossy (1M bench: 188 ms and 21 % of the passing rows; a 100k-row exact scan, 55-75 ms, all).
EXACT_BELOW_FILTERED = 150_000
# Rows are read from one ordered stream in chunks of these sizes until one is below the
# threshold: most queries stop in the first chunk (a hundred rows, one graph walk); "every
# row above the threshold" goes on to the last, MAX_CANDIDATES like the in-process cut.
LIMITS = (100, 1_000, 10_000)
# How far an iterative scan may walk for a filtered query before it gives up (pgvector's
# default is 20,000): a 10 % filter needs ~10 visited rows per row it keeps.
MAX_SCAN_TUPLES = 200_000
SCOPE_COUNT_TTL = 30.0

Row = tuple[int, str, int, float, float, float, float, float]


@dataclass(frozen=True)
class _Need:
    leaf: Leaf
    option: str


def _leaf_options(spec: SearchSpec, leaf: Leaf) -> tuple[str, ...]:
    return leaf.options if leaf.options is not None else spec.options


def semantic_needs(spec: SearchSpec, index: Index) -> list[_Need]:
    """The (leaf, option) pairs of the query that are answered by vectors."""
    needs = []
    for leaf in leaves(spec.query):
        conversation = leaf.conversation_option or spec.conversation_option
        for option in _leaf_options(spec, leaf):
            if option not in index.embedding_options or option == LOGO:
                continue
            if option == CONVERSATION and conversation == "exact_match":
                continue
            needs.append(_Need(leaf, option))
    return needs


def _halfvec_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{float(x):.6g}" for x in vector) + "]"


_scope_counts: dict[tuple[str, str, int], tuple[float, int]] = {}
_scope_lock = threading.Lock()


def _exact_below(allowed: list[str] | None) -> int:
    return EXACT_BELOW if allowed is None else max(EXACT_BELOW, EXACT_BELOW_FILTERED)


def _scope_count(cursor: CursorWrapper, index_id: str, option: str, dims: int, allowed: list[str] | None) -> int:
    """Vectors in scope, counted up to the exact-scan bound (an index-only btree walk); an index's
    unfiltered count is remembered for SCOPE_COUNT_TTL seconds (it only picks a plan)."""
    key = (index_id, option, dims)
    if allowed is None:
        with _scope_lock:
            cached = _scope_counts.get(key)
        if cached is not None and time.monotonic() - cached[0] < SCOPE_COUNT_TTL:
            return cached[1]
    where, params = _scope_where(index_id, option, dims, allowed)
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} v WHERE {where} LIMIT {_exact_below(allowed) + 1}) t", params
    )
    count = int(cursor.fetchone()[0])
    if allowed is None:
        with _scope_lock:
            _scope_counts[key] = (time.monotonic(), count)
    return count


def _scope_where(index_id: str, option: str, dims: int, allowed: list[str] | None) -> tuple[str, list[Any]]:
    # option and dims are literals so the planner matches the partial index of the pair.
    assert option in (CONVERSATION, TEXT_IN_VIDEO, VISUAL) and isinstance(dims, int)
    where = f"v.index_id = %s AND v.option = '{option}' AND v.dims = {dims}"
    params: list[Any] = [index_id]
    if allowed is not None:
        where += " AND v.video_id = ANY(%s)"
        params.append(allowed)
    return where, params


@dataclass(frozen=True)
class Read:
    """Rows read for one (query, option), best first. `boundary`: the cosine of the last row
    read when reading stopped at the depth asked for while rows still passed (None: every
    passing row up to the cut is here); unseen rows are no more similar than it."""

    rows: list[Row]
    boundary: float | None = None


def _limits(depth: int | None) -> tuple[int, ...]:
    from search.scoring import MAX_CANDIDATES

    cut = MAX_CANDIDATES if depth is None else min(depth, MAX_CANDIDATES)
    return (*(size for size in LIMITS if size < cut), cut)


def read(
    *,
    index_id: str,
    option: str,
    vector: np.ndarray,
    floor: float,
    allowed: list[str] | None,
    limits: tuple[int, ...] | None = None,
    depth: int | None = None,
    merge_floor: float = -1.0,
) -> Read:
    """The rows (segment id, video id, position, segment start, segment end, cosine, evidence
    start, evidence end) of the vectors of `option` in scope with cosine >= floor, best first,
    at most limits[-1] (default: LIMITS up to scoring.MAX_CANDIDATES, the in-process cut).

    `depth`: stop after that many rows of a graph walk (a page-driven search reads deeper only
    when its page needs it: search.query.search_run). An exact scan (a small scope) always
    reads every passing row: it costs little and leaves nothing unseen.
    `merge_floor`: the raw cosine from which adjacent cells join one clip."""
    dims = len(vector)
    where, params = _scope_where(index_id, option, dims, allowed)
    with transaction.atomic():
        with connection.cursor() as cursor:
            exact = _scope_count(cursor, index_id, option, dims, allowed) <= _exact_below(allowed)
            limits = limits or _limits(None if exact else depth)
            if exact:
                # The raw column is not the graph's expression: the planner scans the scope exactly.
                distance = f"(v.embedding <#> %s::halfvec({dims}))"
            else:
                distance = f"(v.embedding::halfvec({dims}) <#> %s::halfvec({dims}))"
                # strict_order: rows arrive best first, so reading can stop at the first chunk
                # below the floor; the graph is walked only as far as rows are read.
                cursor.execute(
                    "SELECT set_config('hnsw.iterative_scan', 'strict_order', true), "
                    "set_config('hnsw.ef_search', %s, true), set_config('hnsw.max_scan_tuples', %s, true)",
                    [str(int(settings.FRAMEWISE_HNSW_EF_SEARCH)), str(MAX_SCAN_TUPLES)],
                )
            # The segment's cell comes with its vector: one round trip per chunk.
            select = (
                f'SELECT v.segment_id, v.video_id, s.position, s.start, s."end", {distance} AS distance, '
                f'v.start, v."end" FROM {TABLE} v JOIN library_segment s ON s.id = v.segment_id '
                f"WHERE {where} ORDER BY distance LIMIT %s"
            )
            query = [_halfvec_literal(vector), *params]
            # Most searches end in the first chunk (a hundred rows, one graph walk): a plain query.
            cursor.execute(select, [*query, limits[0]])
            first = cursor.fetchall()
            found = _passing(first, floor)
            full = len(first) == limits[0] and not _mostly_below(first, found)
            boundary = -float(first[-1][5]) if full else None
            if not found:
                _check_dimensions(cursor, index_id, option, dims)
        if full and len(limits) > 1:
            found, boundary = _streamed(select, [*query, limits[-1]], floor, limits)
        if depth is not None and not exact:
            # A page-driven read holds the best cells, not always the passing cells next to
            # them that the same clip runs over (clips merge cells from `merge_floor` on): a
            # partial read has not reached them, a graph walk may have missed them. They are
            # scored exactly, at every depth, so a clip has one extent whichever page shows it.
            extend = max(floor, merge_floor)
            found += _neighbours(option, dims, query[0], [row for row in found if row[5] >= extend], extend)
    found.sort(key=lambda row: -row[5])
    from search.scoring import MAX_CANDIDATES

    # Only a read that stopped short of the cut while rows still passed leaves rows unseen.
    partial = boundary is not None and boundary >= floor and depth is not None and depth < MAX_CANDIDATES
    return Read(found, boundary if partial and not exact else None)


def _passing(rows: list[tuple[Any, ...]], floor: float) -> list[Row]:
    return [
        (segment_id, video_id, position, start, end, -value, evidence_start, evidence_end)
        for segment_id, video_id, position, start, end, value, evidence_start, evidence_end in rows
        if -value >= floor
    ]


def _mostly_below(rows: list[tuple[Any, ...]], passing: list[Row]) -> bool:
    # A graph walk's order is not perfectly by distance: stop after a chunk in which most
    # rows fell below the floor, not at the first such row.
    return len(passing) * 2 < len(rows)


def _streamed(select: str, params: list[Any], floor: float, limits: tuple[int, ...]) -> tuple[list[Row], float | None]:
    """Every passing row up to limits[-1], read from one ordered stream in growing chunks
    (a server-side cursor: the scan walks only as far as rows are fetched), and the
    boundary (`Read`) when the last chunk still mostly passed."""
    found: list[Row] = []
    boundary = None
    stream = connection.chunked_cursor()
    try:
        stream.execute(select, params)
        size, read = limits[0], 0
        while read < limits[-1]:
            wanted = min(size, limits[-1] - read)
            rows = stream.fetchmany(wanted)
            read += len(rows)
            passing = _passing(rows, floor)
            found += passing
            if len(rows) < wanted or _mostly_below(rows, passing):
                break
            if read >= limits[-1]:
                boundary = -float(rows[-1][5])
            size = min(size * 10, limits[-1])
    finally:
        stream.close()
    return found, boundary


# A clip whose best row was read may go on into cells not read yet (less similar, still
# passing): they are looked up by position, a cell further each step, until none passes (a
# bound against a pathological index, far beyond any clip: 1,000 cells are over an hour).
NEIGHBOUR_STEPS = 1_000


def _neighbours(option: str, dims: int, query: str, rows: list[Row], floor: float) -> list[Row]:
    """The passing cells next to `rows` (and next to those, ...), scored exactly: so the clips
    of a partial read have the extent they have in the whole answer."""
    known = {row[0] for row in rows}
    frontier, added = rows, []
    for _ in range(NEIGHBOUR_STEPS):
        cells = {(row[1], row[2] + step) for row in frontier for step in (-1, 1)}
        if not cells:
            break
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT v.segment_id, v.video_id, s.position, s.start, s."end", '
                f'(v.embedding <#> %s::halfvec({dims})) AS distance, v.start, v."end" '
                f"FROM unnest(%s::text[], %s::int[]) AS cell(video_id, position) "
                f"JOIN library_segment s ON s.video_id = cell.video_id AND s.position = cell.position "
                f"JOIN {TABLE} v ON v.segment_id = s.id AND v.option = %s AND v.dims = {int(dims)}",
                [query, [cell[0] for cell in cells], [cell[1] for cell in cells], option],
            )
            frontier = [row for row in _passing(cursor.fetchall(), floor) if row[0] not in known]
        known.update(row[0] for row in frontier)
        added += frontier
    return added


def _check_dimensions(cursor: CursorWrapper, index_id: str, option: str, dims: int) -> None:
    cursor.execute(f"SELECT dims FROM {TABLE} WHERE index_id = %s AND option = %s LIMIT 1", [index_id, option])
    row = cursor.fetchone()
    if row is not None and int(row[0]) != dims:
        from core.errors import ApplicationError

        raise ApplicationError(
            f"The {option} vectors of this index have {row[0]} dimensions but the configured model "
            f"makes {dims}: the index was built with another model; re-index its videos.",
            code="search_model_mismatch",
        )


def allowed_video_ids(index_id: str, data: dict) -> list[str] | None:
    if not data:
        return None
    return list(
        Video.objects.filter(video_filter(data), index_id=index_id, indexed_at__isnull=False).values_list(
            "id", flat=True
        )
    )


def search_view(
    index: Index, spec: SearchSpec, floor_score: float, depth: int | None = None, merge_score: float = calibration.LOW
) -> IndexMatrices:
    """The index's matrices restricted to what this search can return (module docstring).

    `depth`: read at most that many rows per (query, option) from a graph; the matrices then
    say from which score on their clips are certain (`IndexMatrices.certain_from`)."""
    from search.scoring import query_vector

    allowed = allowed_video_ids(index.id, spec.filter)
    semantic: dict[tuple[Leaf, str], SemanticRows | EngineError] = {}
    partial: dict[int, tuple[int, str, int, float, float]] = {}
    span_videos: set[str] = set()  # text hits report the text seen: their videos' spans are loaded
    certain_from: float | None = None
    for need in semantic_needs(spec, index):
        key = (need.leaf, need.option)
        if key in semantic or allowed == []:
            continue
        try:
            vector = query_vector(need.leaf, need.option)
        except EngineError as error:  # no visual model in this process: the search decides (query.py)
            semantic[key] = error
            continue
        calibration_key = visual_calibration() if need.option == VISUAL else need.option
        floor = calibration.raw_floor(floor_score, calibration_key)
        found = read(
            index_id=index.id, option=need.option, vector=vector, floor=floor, allowed=allowed, depth=depth,
            merge_floor=calibration.raw_floor(merge_score, calibration_key),
        )  # fmt: skip
        rows = found.rows
        if found.boundary is not None:
            unseen = float(calibration.scores(np.array([found.boundary], dtype=np.float32), calibration_key)[0])
            certain_from = unseen if certain_from is None else max(certain_from, unseen)
        for segment_id, video_id, position, start, end, *_ in rows:
            partial[segment_id] = (segment_id, video_id, position, start, end)
            if need.option == TEXT_IN_VIDEO:
                span_videos.add(video_id)
        semantic[key] = SemanticRows(
            segment_id=np.array([row[0] for row in rows], dtype=np.int64),
            cosine=np.array([row[5] for row in rows], dtype=np.float32),
            start=np.array([row[6] for row in rows], dtype=np.float64),
            end=np.array([row[7] for row in rows], dtype=np.float64),
        )
    whole = lexical.candidate_videos(index, spec, allowed) if allowed != [] else set()
    view = _view(index, whole, span_videos, partial.values(), semantic)
    return replace(view, certain_from=certain_from) if certain_from is not None else view


def _view(
    index: Index,
    whole: set[str],
    span_videos: set[str],
    partial: Iterable[tuple[int, str, int, float, float]],
    semantic: dict[tuple[Leaf, str], SemanticRows | EngineError],
) -> IndexMatrices:
    partial = [row for row in partial if row[1] not in whole]
    videos = sorted(whole | {row[1] for row in partial})
    loaded = {
        row[0]: row
        for row in Video.objects.filter(id__in=whole).values_list("id", "duration", "transcript", "texts", "logos")
    }
    spans: dict[str, tuple[Any, ...]] = {
        row[0]: (row[0], row[1], [], row[2], row[3])
        for row in Video.objects.filter(id__in=span_videos - whole).values_list("id", "duration", "texts", "logos")
    }
    rest = set(videos) - whole - set(spans)
    durations = dict(Video.objects.filter(id__in=rest).values_list("id", "duration")) if rest else {}
    video_rows = [
        loaded.get(video_id) or spans.get(video_id) or (video_id, durations.get(video_id, 0.0), [], [], [])
        for video_id in videos
    ]
    segments = list(partial)
    if whole:
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT id, video_id, position, start, "end" FROM library_segment WHERE video_id = ANY(%s)',
                [list(whole)],
            )
            segments += cursor.fetchall()
    segments.sort(key=lambda row: (row[1], row[2]))
    pool_count, pool_duration, skipped = _pool(index)
    return assemble_matrices(
        index.id,
        version=index.content_version,
        video_rows=video_rows,
        segment_rows=segments,
        skipped=skipped,
        semantic=semantic,
        pool=(pool_count, pool_duration),
    )


_pools: OrderedDict[tuple[str, int], tuple[int, float, dict[str, str]]] = OrderedDict()
POOLS_KEPT = 256


def _pool(index: Index) -> tuple[int, float, dict[str, str]]:
    """index_skipped (ready videos, their duration, options every video skipped) per content
    version: a few numbers per index, which only a video becoming ready or deleted changes
    (and those move the version), so searches of an unchanged index skip the aggregate."""
    key = (index.id, index.content_version)
    with _scope_lock:
        if key in _pools:
            _pools.move_to_end(key)
            return _pools[key]
    found = index_skipped(index.id)
    with _scope_lock:
        _pools[key] = found
        while len(_pools) > POOLS_KEPT:
            _pools.popitem(last=False)
    return found


def check_available() -> None:
    """Raise VectorBackendMissing when the pgvector rows do not exist in this database."""
    from library.vector_store import table_exists

    if not table_exists():
        raise VectorBackendMissing(
            "FRAMEWISE_VECTOR_BACKEND=pgvector but the database has no pgvector table: use PostgreSQL with the "
            "`vector` extension (pgvector >= 0.8) and run `manage.py migrate`."
        )
