"""The float16 vector matrix of one option, and the one way to multiply it.

`OptionMatrix` holds an option's unit vectors with the segment row of each; search asks
it for the rows passing a floor (`passing`), classification for all of them in row
order (`in_row_order`). Big ones are partitioned into inverted lists (partition.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search import half_kernels, partition
from search.partition import Partitions


def similarities(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Cosines (float32) of unit `vectors` (n, d) with a query (d,) -> (n,), or queries (k, d) -> (n, k).

    Use this, not `@`, on an `OptionMatrix`'s float16 vectors (or any row slice of them):
    numpy would convert the whole matrix to float32 first, which costs more than the product.
    """
    if vectors.dtype != np.float16:
        return np.asarray(vectors @ queries.T, dtype=np.float32)
    return half_kernels.similarities(vectors, queries)


@dataclass(frozen=True)
class OptionMatrix:
    """`vectors[i]` (L2-normalised) belongs to segment row `rows[i]`.

    Rows ascend, unless the matrix is partitioned (a big one, partition.py): then it is
    stored list by list and `in_row_order` gives the ascending view classification needs.
    """

    rows: np.ndarray  # int32 (m,)
    vectors: np.ndarray  # float16 (m, d), C-contiguous: multiply with `similarities`
    partitions: Partitions | None = None

    @classmethod
    def of(cls, rows: np.ndarray, vectors: np.ndarray) -> OptionMatrix:
        """The matrix of these rows' unit float16 vectors, partitioned when it is big."""
        if len(rows) < partition.PARTITION_FROM:
            return cls(rows=rows, vectors=vectors)
        order, partitions = partition.partition(vectors)
        return cls(rows=rows[order], vectors=np.ascontiguousarray(vectors[order]), partitions=partitions)

    def similarities(self, queries: np.ndarray) -> np.ndarray:
        return similarities(self.vectors, queries)

    def in_row_order(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows ascending, their vectors): the matrix itself, or a sorted copy when partitioned."""
        if self.partitions is None:
            return self.rows, self.vectors
        order = np.argsort(self.rows, kind="stable")
        return self.rows[order], self.vectors[order]

    def passing(self, query: np.ndarray, floor: float, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, cosines) of the vectors with cosine >= floor: at most `limit`, the best.

        Exact over every vector, or over the lists nearest the query when partitioned.
        """
        if self.partitions is None:
            scanned, cosines = None, self.similarities(query)
        else:
            scanned, cosines = partition.scan(self.vectors, self.partitions, query)
        keep = np.flatnonzero(cosines >= floor)
        if len(keep) > limit:
            keep = np.sort(keep[np.argpartition(cosines[keep], -limit)[-limit:]])
        return (keep if scanned is None else scanned[keep]), cosines[keep]

    @property
    def dimensions(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0


def unit_matrix(vectors: np.ndarray) -> np.ndarray:
    """float16 unit rows, normalised in float32 (the database's float16 rounding removed first)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(matrix, dtype=np.float16)
