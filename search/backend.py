"""Vector backends: where a search's candidate segments and classification's vectors come from.

    FRAMEWISE_VECTOR_BACKEND = auto | memory | pgvector

* memory (in process): every process builds the index's float16 matrices on its first
  search and keeps them per content version (matrix.py); exact search, IVF from
  partition.PARTITION_FROM vectors. The zero-setup default on SQLite.
* pgvector: nothing is loaded; each search asks PostgreSQL for the segments it can
  return (pg_backend.py), classification reads the vectors of a batch of videos at a time.
* auto: pgvector when the database has the pgvector table (PostgreSQL with the `vector`
  extension, migrated), memory otherwise.

Both hand the rest of search an `IndexMatrices` and raw cosines; calibration, scores,
clips and pages are computed once, in the same code, whichever backend answered.
A forced `pgvector` without the extension stops the process at start-up (a system check,
`checks.py`) and every search with a clear error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.conf import settings

from library import vector_store
from library.models import Index, Video
from search.calibration import LOW
from search.matrix import IndexMatrices, build_index_matrices, index_matrices
from search.pool import index_skipped
from search.spec import SearchSpec

MEMORY, PGVECTOR, AUTO = "memory", "pgvector", "auto"
CHOICES = (AUTO, MEMORY, PGVECTOR)
# Classification on pgvector scores this many segments' videos at a time: bounded memory
# (~0.8 KB a segment per option) whatever the size of the index.
CLASSIFY_BATCH_SEGMENTS = 50_000


def active() -> str:
    """The backend this process uses now (auto resolved against the database)."""
    choice = settings.FRAMEWISE_VECTOR_BACKEND
    if choice == MEMORY:
        return MEMORY
    if choice == PGVECTOR:
        from search.pg_backend import check_available

        check_available()
        return PGVECTOR
    return PGVECTOR if vector_store.table_exists() else MEMORY


def search_matrices(
    index: Index, spec: SearchSpec, floor_score: float, depth: int | None = None, merge_score: float = LOW
) -> IndexMatrices:
    """What `spec` is evaluated on in `index`: the whole index (memory) or its candidates (pgvector),
    the best `depth` rows per query and option only when asked (pgvector's graph walks)."""
    if active() == MEMORY:
        return index_matrices(index.id)
    from search.pg_backend import search_view

    return search_view(index, spec, floor_score, depth, merge_score)


def ready_video_ids(index_id: str) -> list[str]:
    return list(
        Video.objects.filter(index_id=index_id, indexed_at__isnull=False).order_by("id").values_list("id", flat=True)
    )


def classification_matrices(index_id: str, video_ids: Sequence[str] | None = None) -> Iterator[IndexMatrices]:
    """The index's matrices for classification: whole (memory), or batch by batch of videos (pgvector),
    each batch holding every segment and vector of its videos, so per-video scores are the same."""
    if active() == MEMORY:
        yield index_matrices(index_id)
        return
    version = Index.objects.filter(id=index_id).values_list("content_version", flat=True).first()
    if version is None:
        raise Index.DoesNotExist(index_id)
    wanted = set(video_ids) if video_ids is not None else None
    counts = _segment_counts(index_id)
    _, _, skipped = index_skipped(index_id)
    batch: list[str] = []
    size, yielded = 0, False
    for video_id, count in counts:
        if wanted is not None and video_id not in wanted:
            continue
        batch.append(video_id)
        size += count
        if size >= CLASSIFY_BATCH_SEGMENTS:
            yield build_index_matrices(index_id, version, video_ids=batch, skipped=skipped)
            batch, size, yielded = [], 0, True
    if batch or not yielded:  # one (maybe empty) matrix at least: it carries `skipped`
        yield build_index_matrices(index_id, version, video_ids=batch, skipped=skipped)


def _segment_counts(index_id: str) -> list[tuple[str, int]]:
    from django.db.models import Count

    return list(
        Video.objects.filter(index_id=index_id, indexed_at__isnull=False)
        .order_by("id")
        .annotate(n=Count("segments"))
        .values_list("id", "n")
    )
