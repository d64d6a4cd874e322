"""Writing segment vectors into pgvector rows (library.models.SegmentVector), when the database has them.

The rows are written by `write_segment_vectors` inside the transaction that writes the
segments (library/indexing.py), so a video's vectors become visible to every process
at the commit that makes it `ready`, and vanish with its segments (ON DELETE CASCADE)
at the commit that deletes it: no cache, no rebuild, no version to bump.

They are written whenever the table exists (PostgreSQL with the `vector` extension),
whichever search backend is configured, so switching FRAMEWISE_VECTOR_BACKEND never
needs a backfill. The write is a binary COPY: formatting a million 384-d vectors as
text costs minutes of Python, their float16 bytes cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "library_segmentvector"
# (option, dimensions) pairs with an HNSW graph (migration 0009): MiniLM text spaces are
# 384-d; the visual option is 384-d concept vectors or 512-d CLIP, whichever model indexed.
INDEXED = (("conversation", 384), ("text_in_video", 384), ("visual", 384), ("visual", 512))


def hnsw_index_name(option: str, dims: int) -> str:
    return f"segvec_hnsw_{option}_{dims}"


def hnsw_index_sql(option: str, dims: int, *, name: str | None = None, concurrently: bool = False) -> str:
    """Unit vectors: inner product equals cosine and is the cheapest distance (`halfvec_ip_ops`);
    built with FRAMEWISE_HNSW_M and FRAMEWISE_HNSW_EF_CONSTRUCTION."""
    m, ef_construction = int(settings.FRAMEWISE_HNSW_M), int(settings.FRAMEWISE_HNSW_EF_CONSTRUCTION)
    return (
        f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS {name or hnsw_index_name(option, dims)} "
        f"ON {TABLE} USING hnsw ((embedding::halfvec({dims})) halfvec_ip_ops) "
        f"WITH (m = {m}, ef_construction = {ef_construction}) WHERE option = '{option}' AND dims = {dims}"
    )


_available: dict[tuple[str, str], bool] = {}


def extension_available(connection: BaseDatabaseWrapper) -> bool:
    """PostgreSQL where `CREATE EXTENSION vector` can work (the package is installed on the server)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None


def table_exists(alias: str = "default") -> bool:
    """The pgvector rows exist in this database (cached per database name)."""
    connection = connections[alias]
    key = (alias, str(connection.settings_dict.get("NAME")))
    found = _available.get(key)
    if found is None:
        found = False
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
                found = bool(cursor.fetchone()[0])
        _available[key] = found
    return found


def forget_table_state() -> None:
    """Forget the cached answers of `table_exists` (tests that create or drop the table)."""
    _available.clear()


@dataclass(frozen=True)
class VectorRow:
    segment_id: int
    index_id: str
    video_id: str
    option: str
    start: float
    end: float
    vector: np.ndarray  # any float dtype; stored as float16, L2-normalised


def _registered(connection: BaseDatabaseWrapper) -> Any:
    raw = connection.connection
    if not getattr(raw, "_framewise_halfvec", False):
        from pgvector.psycopg import register_vector

        register_vector(raw)
        raw._framewise_halfvec = True
    return raw


def unit_half(vector: np.ndarray) -> np.ndarray:
    """The vector as stored: normalised in float32, then float16 (as the in-process matrices hold it)."""
    values = np.asarray(vector, dtype=np.float32)
    values = values / max(float(np.linalg.norm(values)), 1e-12)
    return values.astype(np.float16)


def write_segment_vectors(rows: Iterable[VectorRow], alias: str = "default") -> int:
    """COPY the rows in; call inside the transaction that writes their segments. Returns the count."""
    if not table_exists(alias):
        return 0
    from pgvector import HalfVector

    connection = connections[alias]
    connection.ensure_connection()
    _registered(connection)
    count = 0
    columns = 'segment_id, index_id, video_id, option, dims, start, "end", embedding'
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        with cursor.copy(f"COPY {TABLE} ({columns}) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "varchar", "varchar", "varchar", "int2", "float8", "float8", "halfvec"])
            for row in rows:
                half = unit_half(row.vector)
                copy.write_row(
                    (row.segment_id, row.index_id, row.video_id, row.option, len(half), row.start, row.end,
                     HalfVector(half))
                )  # fmt: skip
                count += 1
    return count


def vector_rows(
    *,
    index_id: str,
    video_id: str,
    segment_ids: Sequence[int],
    option_vectors: dict[str, Sequence[Any]],
    option_bounds: dict[str, Sequence[tuple[float, float]]],
) -> Iterable[VectorRow]:
    """Rows of one video's segments: per option, each segment with a vector (None: no row)."""
    for option, vectors in option_vectors.items():
        bounds = option_bounds[option]
        for segment_id, vector, (start, end) in zip(segment_ids, vectors, bounds, strict=True):
            if vector is not None:
                yield VectorRow(segment_id, index_id, video_id, option, float(start), float(end), vector)


def copy_video_vectors(*, source: Any, video: Any, options: frozenset[str], alias: str = "default") -> int:
    """Give `video`'s freshly copied segments the vector rows of `source`'s segments at the same
    positions, for `options` only (an asset analysed once, indexed into another index)."""
    if not table_exists(alias):
        return 0
    columns = 'segment_id, index_id, video_id, option, dims, start, "end", embedding'
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) "
            f'SELECT target.id, %s, %s, v.option, v.dims, v.start, v."end", v.embedding '
            f"FROM {TABLE} v JOIN library_segment origin ON origin.id = v.segment_id "
            "JOIN library_segment target ON target.video_id = %s AND target.position = origin.position "
            "WHERE v.video_id = %s AND v.option = ANY(%s)",
            [video.index_id, video.id, video.id, source.id, sorted(options)],
        )
        return int(cursor.rowcount)


def drop_hnsw_indexes(alias: str = "default") -> None:
    """Drop the HNSW graphs before a bulk load: inserting into a graph costs ~10 ms a row on
    2 cores (100 rows/s at 20k rows), building it once afterwards a fraction of that."""
    if not table_exists(alias):
        return
    with connections[alias].cursor() as cursor:
        for option, dims in INDEXED:
            cursor.execute(f"DROP INDEX IF EXISTS {hnsw_index_name(option, dims)}")


def _build_settings(cursor: Any, maintenance_work_mem: str, workers: int) -> None:
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [maintenance_work_mem])
    cursor.execute("SELECT set_config('max_parallel_maintenance_workers', %s, false)", [str(workers)])


def build_hnsw_indexes(alias: str = "default", *, maintenance_work_mem: str = "2GB", workers: int = 2) -> float:
    """(Re)create the missing HNSW graphs; returns the seconds it took. A graph that fits in
    `maintenance_work_mem` builds in memory, several times faster than one that spills."""
    import time

    if not table_exists(alias):
        return 0.0
    began = time.perf_counter()
    with connections[alias].cursor() as cursor:
        _build_settings(cursor, maintenance_work_mem, workers)
        for option, dims in INDEXED:
            cursor.execute(hnsw_index_sql(option, dims))
        cursor.execute(f"ANALYZE {TABLE}")
    return time.perf_counter() - began


def rebuild_hnsw_indexes(
    alias: str = "default", *, maintenance_work_mem: str = "2GB", workers: int = 2
) -> dict[str, float]:
    """Rebuild every graph with the configured build parameters, while searches go on: each new
    graph is built beside the old one (CREATE INDEX CONCURRENTLY: writes continue too) and takes
    its name once complete. Returns the seconds each graph took."""
    import time

    if not table_exists(alias):
        return {}
    took: dict[str, float] = {}
    with connections[alias].cursor() as cursor:
        _build_settings(cursor, maintenance_work_mem, workers)
        for option, dims in INDEXED:
            name = hnsw_index_name(option, dims)
            fresh = f"{name}_rebuilt"
            began = time.perf_counter()
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {fresh}")  # left by an interrupted rebuild
            cursor.execute(hnsw_index_sql(option, dims, name=fresh, concurrently=True))
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            cursor.execute(f"ALTER INDEX {fresh} RENAME TO {name}")
            took[name] = time.perf_counter() - began
        cursor.execute(f"ANALYZE {TABLE}")
    return took


class VectorBackendMissing(ImproperlyConfigured):
    """FRAMEWISE_VECTOR_BACKEND=pgvector on a database without pgvector."""
