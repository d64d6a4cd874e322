"""Reading the passing rows of one (query, option) from pgvector's table, best first.

Used by pg_backend.search_view: the scope (index, option, allowed videos) restricts the rows
inside the index scan; a graph walk (HNSW, iterative, strict order) is read in growing
chunks until the rows fall below the threshold, or as deep as a page needs (`depth`); a
small scope is scanned exactly instead. docs/search-at-scale.md describes the reads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from engines.base import CONVERSATION, TEXT_IN_VIDEO, VISUAL
from library.vector_store import TABLE
from search import scoring

EXACT_BELOW = 20_000
# A filtered scope is scanned exactly up to this many vectors: the graph walk of a 10 % filter
# visits the whole graph in distance order and drops nine rows in ten, so it is both slower and
# lossy (1M bench: 188 ms and 21 % of the passing rows; a 100k-row exact scan, 55-75 ms, all).
EXACT_BELOW_FILTERED = 150_000
# A read of the whole answer (every passing row, up to the MAX_CANDIDATES cut) scans a scope of
# up to this many vectors exactly once more than a chunk passes: a graph walk read 10,000 rows
# deep returns only about half of the exact best 10,000 (1M bench: 65 ms, above-threshold recall
# 0.47-0.50), the exact top 10,000 of 1M vectors takes ~250 ms (two parallel workers). Beyond
# it the graph's iterative scan reads the cut, approximately.
EXACT_DEEP_BELOW = 2_000_000
# Rows are read from one ordered stream in chunks of these sizes until one is below the
# threshold: most queries stop in the first chunk (a hundred rows, one graph walk); "every
# row above the threshold" goes on to the last, MAX_CANDIDATES like the in-process cut.
LIMITS = (100, 1_000, 10_000)
# How far an iterative scan may walk for a filtered query before it gives up (pgvector's
# default is 20,000): a 10 % filter needs ~10 visited rows per row it keeps.
MAX_SCAN_TUPLES = 200_000
# strict_order: rows arrive best first, so reading can stop at the first chunk below the
# floor, and the graph is walked only as far as rows are read ("off": a walk ends at
# ef_search candidates, the filter applied after).
ITERATIVE_SCAN = "strict_order"
SCOPE_COUNT_TTL = 30.0

Row = tuple[int, str, int, float, float, float, float, float]


def halfvec_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{float(x):.6g}" for x in vector) + "]"


_scope_counts: dict[tuple[str, str, int, int], tuple[float, int]] = {}
_scope_lock = threading.Lock()


def _exact_below(allowed: list[str] | None) -> int:
    return EXACT_BELOW if allowed is None else max(EXACT_BELOW, EXACT_BELOW_FILTERED)


def _scope_count(
    cursor: CursorWrapper, index_id: str, option: str, dims: int, allowed: list[str] | None, bound: int
) -> int:
    """Vectors in scope, counted up to `bound` + 1 (an index-only btree walk); an index's
    unfiltered count is remembered for SCOPE_COUNT_TTL seconds (it only picks a plan)."""
    key = (index_id, option, dims, bound)
    if allowed is None:
        with _scope_lock:
            cached = _scope_counts.get(key)
        if cached is not None and time.monotonic() - cached[0] < SCOPE_COUNT_TTL:
            return cached[1]
    where, params = _scope_where(index_id, option, dims, allowed)
    cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} v WHERE {where} LIMIT {int(bound) + 1}) t", params)
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
    cut = scoring.MAX_CANDIDATES if depth is None else min(depth, scoring.MAX_CANDIDATES)
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
            bound = _exact_below(allowed)
            exact = _scope_count(cursor, index_id, option, dims, allowed, bound) <= bound
            limits = limits or _limits(None if exact else depth)
            if exact:
                # The raw column is not the graph's expression: the planner scans the scope exactly.
                distance = _exact_distance(dims)
            else:
                distance = f"(v.embedding::halfvec({dims}) <#> %s::halfvec({dims}))"
                cursor.execute(
                    "SELECT set_config('hnsw.iterative_scan', %s, true), "
                    "set_config('hnsw.ef_search', %s, true), set_config('hnsw.max_scan_tuples', %s, true)",
                    [ITERATIVE_SCAN, str(int(settings.FRAMEWISE_HNSW_EF_SEARCH)), str(MAX_SCAN_TUPLES)],
                )
            select = _select(distance, where)
            query = [halfvec_literal(vector), *params]
            # Most searches end in the first chunk (a hundred rows, one graph walk): a plain query.
            cursor.execute(select, [*query, limits[0]])
            first = cursor.fetchall()
            found = _passing(first, floor)
            passing = bool(first) and not _mostly_below(first, found)
            full = len(first) == limits[0] and passing
            # A graph walk that ends before the rows asked for while they still pass was cut short
            # (hnsw.max_scan_tuples, the scan's memory): the scope holds more than it returned.
            cut_short = not exact and len(first) < limits[0] and passing
            boundary = -float(first[-1][5]) if full or cut_short else None
            if not found:
                _check_dimensions(cursor, index_id, option, dims)
            # Every passing row asked for and more than a chunk passes, or a walk cut short: an
            # exact scan of the whole answer, once.
            deep = cut_short or (full and len(limits) > 1 and limits[-1] >= scoring.MAX_CANDIDATES)
            deep_bound = EXACT_DEEP_BELOW
            if deep and not exact and _scope_count(cursor, index_id, option, dims, allowed, deep_bound) <= deep_bound:
                exact, limits = True, (scoring.MAX_CANDIDATES,)
                cursor.execute(_select(_exact_distance(dims), where), [*query, limits[0]])
                rows = cursor.fetchall()
                found = _passing(rows, floor)
                boundary = -float(rows[-1][5]) if len(rows) == limits[0] else None
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
    # Only a read that stopped short of the cut while rows still passed leaves rows unseen.
    partial = boundary is not None and boundary >= floor and depth is not None and depth < scoring.MAX_CANDIDATES
    return Read(found, boundary if partial and not exact else None)


def _exact_distance(dims: int) -> str:
    # The raw column, not the graph's expression: no graph serves it, so every row is scored.
    return f"(v.embedding <#> %s::halfvec({int(dims)}))"


def _select(distance: str, where: str) -> str:
    # The segment's cell comes with its vector: one round trip per chunk.
    return (
        f'SELECT v.segment_id, v.video_id, s.position, s.start, s."end", {distance} AS distance, '
        f'v.start, v."end" FROM {TABLE} v JOIN library_segment s ON s.id = v.segment_id '
        f"WHERE {where} ORDER BY distance LIMIT %s"
    )


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
        frontier = [row for row in _passing(_cells(option, dims, query, cells), floor) if row[0] not in known]
        known.update(row[0] for row in frontier)
        added += frontier
    return added


@dataclass(frozen=True)
class OptionQuery:
    """One option of a query, for scoring cells in it: the query vector (a halfvec literal) and
    the raw cosines from which a row passes and from which a passing cell extends a clip."""

    option: str
    dims: int
    vector: str
    floor: float
    extend: float


def cross_scored(queries: list[OptionQuery], found: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """A page-driven read of several options, completed: every cell read in one option is scored
    in the others, and the cells next to a cell that extends a clip (in any option) are scored in
    all, step by step until none is added. Each cell held then has every option's row the whole
    answer gives it (a clip's score and modules), and each clip its whole extent.

    (Where more than MAX_CANDIDATES rows of an option pass, the whole answer keeps only its best
    ones: a cell's row in that option is then shown here although the cut would have left it out.)"""
    held = {query.option: {(row[1], row[2]): row for row in found.get(query.option, [])} for query in queries}
    # Per option, the cells whose row is known: held, or looked up and not passing.
    known = {option: set(rows) for option, rows in held.items()}
    visited: set[tuple[str, int]] = set()
    cells = {cell for rows in held.values() for cell in rows}
    for _ in range(NEIGHBOUR_STEPS):
        cells -= visited
        if not cells:
            break
        visited |= cells
        extending: set[tuple[str, int]] = set()
        for query in queries:
            missing = cells - known[query.option]
            if missing:
                for row in _passing(_cells(query.option, query.dims, query.vector, missing), query.floor):
                    held[query.option][(row[1], row[2])] = row
                known[query.option] |= missing
            rows = held[query.option]
            extending.update(cell for cell in cells if cell in rows and rows[cell][5] >= query.extend)
        cells = {(video, position + step) for video, position in extending for step in (-1, 1)}
    return {option: sorted(rows.values(), key=lambda row: -row[5]) for option, rows in held.items()}


def _cells(option: str, dims: int, query: str, cells: set[tuple[str, int]]) -> list[tuple[Any, ...]]:
    """The rows of `option` at the (video, position) cells, with their exact distances."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT v.segment_id, v.video_id, s.position, s.start, s."end", '
            f'{_exact_distance(dims)} AS distance, v.start, v."end" '
            f"FROM unnest(%s::text[], %s::int[]) AS cell(video_id, position) "
            f"JOIN library_segment s ON s.video_id = cell.video_id AND s.position = cell.position "
            f"JOIN {TABLE} v ON v.segment_id = s.id AND v.option = %s AND v.dims = {int(dims)}",
            [query, [cell[0] for cell in cells], [cell[1] for cell in cells], option],
        )
        return cursor.fetchall()


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
