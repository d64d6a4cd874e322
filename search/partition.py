"""Inverted lists over a big option matrix, so a query scans the few lists near it, not every vector.

Exact search is one pass over the whole float16 matrix and is bound by memory
bandwidth: on the 2-core machine of docs/search.md a pass over 1M x 384 float16 (768 MB)
cannot take less than about 38 ms, so the 30 ms target at a million segments needs an
approximate first step. This is the classic IVF layout (as faiss's IndexIVFFlat), kept
in numpy (with torch's float16 products, search/half_kernels.py) because it can then
share the one float16 matrix the rest of search and classification use instead of
holding a second copy of every vector:

* build: spherical k-means on a sample gives `lists` unit centroids (about sqrt(n)); every
  vector goes to its nearest centroid, and the matrix is stored sorted by list, so a
  list is one contiguous slice;
* query: cosine to every centroid (a few hundred KB), then an exact float16 product over
  the `probes` nearest lists only. Scores of the scanned vectors are exact; what is
  approximate is which vectors get scanned. bench/search_speed.py measures the recall
  against exact search, and docs/search.md reports it.

Small matrices are not partitioned (`PARTITION_FROM`): below it a full pass is fast
enough and exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from search import half_kernels

# Vectors from which an option matrix is partitioned: a full pass over 250k x 384 float16
# costs about 19 ms on the 2-core machine, the most we want to spend on the product.
PARTITION_FROM = 250_000
# Share of the lists scanned per query: the speed/recall dial (bench/search_speed.py --probe-share).
PROBE_SHARE = 0.08
# Lists per square root of the vector count (1,000 lists at a million vectors).
LISTS_PER_ROOT = 1.0
KMEANS_ITERATIONS = 8
SAMPLE_PER_LIST = 48  # k-means trains on at most this many vectors per list
ASSIGN_CHUNK = 65_536  # rows per product when assigning every vector to its list


@dataclass(frozen=True)
class Partitions:
    """List i holds positions offsets[i]:offsets[i + 1] of the (list-ordered) matrix."""

    centroids: np.ndarray  # float32 (lists, d), unit rows
    offsets: np.ndarray  # int64 (lists + 1,)
    probes: int  # lists scanned per query

    def nearest_lists(self, query: np.ndarray, probes: int | None = None) -> np.ndarray:
        """The `probes` lists whose centroids are closest to the query, in matrix order."""
        count = min(len(self.centroids), probes or self.probes)
        closeness = self.centroids @ query.astype(np.float32)
        if count < len(closeness):
            return np.sort(np.argpartition(closeness, -count)[-count:])
        return np.arange(len(closeness))


def list_count(vectors: int) -> int:
    return max(1, round(LISTS_PER_ROOT * math.sqrt(vectors)))


def partition(vectors: np.ndarray, *, lists: int | None = None, seed: int = 0) -> tuple[np.ndarray, Partitions]:
    """(order, partitions) for float16 unit `vectors` (n, d): `vectors[order]` is the list-ordered matrix.

    Deterministic for a given seed, so a rebuild of the same content finds the same lists.
    """
    count = min(len(vectors), lists or list_count(len(vectors)))
    centroids, labels = half_kernels.spherical_kmeans_lists(
        vectors,
        lists=count,
        sample_size=min(len(vectors), SAMPLE_PER_LIST * count),
        iterations=KMEANS_ITERATIONS,
        assign_chunk=ASSIGN_CHUNK,
        seed=seed,
    )
    order = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels, minlength=count)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    probes = max(1, math.ceil(count * PROBE_SHARE))
    return order, Partitions(centroids=centroids, offsets=offsets, probes=probes)


def scan(
    vectors: np.ndarray, partitions: Partitions, query: np.ndarray, probes: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(positions, cosines) of every vector in the lists nearest the query; cosines exact (float32)."""
    chosen = partitions.nearest_lists(query, probes)
    starts, stops = partitions.offsets[chosen], partitions.offsets[chosen + 1]
    # Neighbouring lists are one slice: fewer, longer products.
    joined = np.flatnonzero(starts[1:] != stops[:-1]) + 1
    starts, stops = starts[np.r_[0, joined]], stops[np.r_[joined - 1, len(stops) - 1]]
    cosines = half_kernels.slice_similarities(vectors, query, starts.tolist(), stops.tolist())
    positions = np.concatenate([np.arange(start, stop) for start, stop in zip(starts, stops, strict=True)])
    return positions.astype(np.int64), cosines
