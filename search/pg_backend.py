"""The pgvector backend: a search reads from PostgreSQL only the segments it can return.

Per search (`search_view`), for one index:

1. the filter (video ids, metadata) becomes the list of allowed videos, one query;
2. each semantic (leaf, option) of the query is read by pg_read.read, over the option's HNSW
   graph, restricted to the index and the allowed videos *inside* the index scan
   (iterative scan, `hnsw.iterative_scan = strict_order`, read through a server-side
   cursor that stops at the first row below the raw cosine the threshold maps to, so the
   graph is walked only as far as the answer goes), best first, at most
   scoring.MAX_CANDIDATES rows: so a filter that
   selects 1 % of a million segments still returns every segment above the threshold.
   When the index holds few vectors (`EXACT_BELOW`; a filter's scope up to
   `EXACT_BELOW_FILTERED`), the same query
   orders by the raw column instead, which no graph serves: an exact scan of those rows
   through the (index, option, video) btree, exact recall for selective filters; so is a
   whole answer of more than a chunk in a scope up to `EXACT_DEEP_BELOW` (a graph walk
   thousands of rows deep misses about half of the best rows);
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

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.db import connection

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL, EngineError
from library.models import Index, Video
from library.vector_store import VectorBackendMissing
from search import calibration, lexical
from search.embeddings import visual_calibration
from search.filters import video_filter
from search.matrix import IndexMatrices, SemanticRows, assemble_matrices
from search.pg_read import OptionQuery, Read, Row, cross_scored, halfvec_literal, read
from search.pool import pool_of
from search.spec import Leaf, SearchSpec, leaves


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
    reads: dict[tuple[Leaf, str], tuple[OptionQuery, Read]] = {}
    bounds: list[float | None] = []  # per read: the best score a row it did not reach can have
    skipped = pool_of(index)[2]
    for need in semantic_needs(spec, index):
        key = (need.leaf, need.option)
        # An option every ready video skipped has no rows; the search leaves it out (query.py).
        if key in semantic or key in reads or allowed == [] or need.option in skipped:
            continue
        try:
            vector = query_vector(need.leaf, need.option)
        except EngineError as error:  # no visual model in this process: the search decides (query.py)
            semantic[key] = error
            continue
        calibration_key = visual_calibration() if need.option == VISUAL else need.option
        floor = calibration.raw_floor(floor_score, calibration_key)
        merge_floor = calibration.raw_floor(merge_score, calibration_key)
        found = read(
            index_id=index.id, option=need.option, vector=vector, floor=floor, allowed=allowed, depth=depth,
            merge_floor=merge_floor,
        )  # fmt: skip
        query = OptionQuery(need.option, len(vector), halfvec_literal(vector), floor, max(floor, merge_floor))
        reads[key] = (query, found)
        if found.boundary is not None:
            bounds.append(float(calibration.scores(np.array([found.boundary], dtype=np.float32), calibration_key)[0]))
        else:
            bounds.append(None)
    certain_from = _unseen_bound(spec.operator, bounds)
    rows_of = {key: found.rows for key, (_, found) in reads.items()}
    if depth is not None:
        rows_of.update(_across_options(reads))
    partial: dict[int, tuple[int, str, int, float, float]] = {}
    span_videos: set[str] = set()  # text hits report the text seen: their videos' spans are loaded
    for (leaf, option), rows in rows_of.items():
        for segment_id, video_id, position, start, end, *_ in rows:
            partial[segment_id] = (segment_id, video_id, position, start, end)
            if option == TEXT_IN_VIDEO:
                span_videos.add(video_id)
        semantic[(leaf, option)] = SemanticRows(
            segment_id=np.array([row[0] for row in rows], dtype=np.int64),
            cosine=np.array([row[5] for row in rows], dtype=np.float32),
            start=np.array([row[6] for row in rows], dtype=np.float64),
            end=np.array([row[7] for row in rows], dtype=np.float64),
        )
    whole = lexical.candidate_videos(index, spec, allowed) if allowed != [] else set()
    view = _view(index, whole, span_videos, partial.values(), semantic)
    return replace(view, certain_from=certain_from) if certain_from is not None else view


def _unseen_bound(operator: str, bounds: list[float | None]) -> float | None:
    """The best score a row that no read reached can have in the answer (None: such a row is not
    in it). Every cell a read reached is scored in every option (_across_options), so an unseen
    row is unseen in each option, below each read's boundary: `or` scores it by its best option,
    `and` by its weakest, and with `and` a read that reached every passing row leaves none out."""
    if operator == "and":
        return None if None in bounds or not bounds else min(bound for bound in bounds if bound is not None)
    known = [bound for bound in bounds if bound is not None]
    return max(known) if known else None


def _across_options(reads: dict[tuple[Leaf, str], tuple[OptionQuery, Read]]) -> dict[tuple[Leaf, str], list[Row]]:
    """A page-driven read of one query in several options: a cell read in one option may pass in
    another below what that option's read reached, and a clip may go on into a cell only another
    option passes; pg_read.cross_scored scores them, so the cells held are exact in every option."""
    by_leaf: dict[Leaf, list[tuple[OptionQuery, Read]]] = {}
    for (leaf, _), pair in reads.items():
        by_leaf.setdefault(leaf, []).append(pair)
    completed: dict[tuple[Leaf, str], list[Row]] = {}
    for leaf, pairs in by_leaf.items():
        if len(pairs) > 1:
            found = cross_scored([query for query, _ in pairs], {query.option: read.rows for query, read in pairs})
            completed.update({(leaf, option): rows for option, rows in found.items()})
    return completed


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
    pool_count, pool_duration, skipped = pool_of(index)
    return assemble_matrices(
        index.id,
        version=index.content_version,
        video_rows=video_rows,
        segment_rows=segments,
        skipped=skipped,
        semantic=semantic,
        pool=(pool_count, pool_duration),
    )


def check_available() -> None:
    """Raise VectorBackendMissing when the pgvector rows do not exist in this database."""
    from library.vector_store import table_exists

    if not table_exists():
        raise VectorBackendMissing(
            "FRAMEWISE_VECTOR_BACKEND=pgvector but the database has no pgvector table: use PostgreSQL with the "
            "`vector` extension (pgvector >= 0.8) and run `manage.py migrate`."
        )
