"""float16 vector products for the search core, on torch's CPU kernels.

Search and classification hold their vectors as float16 and multiply them on every
query. numpy has no fast float16 product (it would convert the whole matrix to float32
first, which costs more than the product), torch has one that accumulates in float32.
torch is a heavy import, and heavy imports live in `engines/` only (the import contract
in pyproject.toml), so the products live here and `search/` calls them.
"""

from __future__ import annotations

import numpy as np


def similarities(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Cosines (float32) of unit float16 `vectors` (n, d) with a query (d,) -> (n,), or (k, d) -> (n, k)."""
    import torch

    matrix = torch.from_numpy(np.ascontiguousarray(vectors))
    half = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float16))
    if half.ndim == 1:
        return torch.mv(matrix, half).float().numpy()
    # One matrix-vector product per query: torch's float16 matrix-matrix product on CPU is far slower.
    out = np.empty((len(vectors), len(half)), dtype=np.float32)
    for column, query in enumerate(half):
        out[:, column] = torch.mv(matrix, query).float().numpy()
    return out


def slice_similarities(vectors: np.ndarray, query: np.ndarray, starts: list[int], stops: list[int]) -> np.ndarray:
    """Cosines of `query` with the rows of each slice starts[i]:stops[i] of `vectors`, concatenated."""
    import torch

    matrix = torch.from_numpy(vectors)
    half = torch.from_numpy(np.ascontiguousarray(query, dtype=np.float16))
    cosines = np.empty(sum(stop - start for start, stop in zip(starts, stops, strict=True)), dtype=np.float32)
    filled = 0
    for start, stop in zip(starts, stops, strict=True):
        cosines[filled : filled + stop - start] = torch.mv(matrix[start:stop], half).float().numpy()
        filled += stop - start
    return cosines


def spherical_kmeans_lists(
    vectors: np.ndarray, *, lists: int, sample_size: int, iterations: int, assign_chunk: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(centroids float32 (lists, d), the list of every vector (n,)): spherical k-means on a sample.

    Deterministic for a given seed, so a rebuild of the same content finds the same lists.
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    matrix = torch.from_numpy(np.ascontiguousarray(vectors))
    sample = matrix[torch.randperm(len(vectors), generator=generator)[:sample_size]].float()
    centroids = sample[torch.randperm(len(sample), generator=generator)[:lists]].clone()
    for _ in range(iterations):
        assigned = (sample @ centroids.T).argmax(dim=1)
        sums = torch.zeros_like(centroids).index_add_(0, assigned, sample)
        counts = torch.bincount(assigned, minlength=lists)
        empty = counts == 0
        if bool(empty.any()):  # a centroid nobody chose restarts on a random vector
            sums[empty] = sample[torch.randint(len(sample), (int(empty.sum()),), generator=generator)]
        centroids = sums / sums.norm(dim=1, keepdim=True).clamp_min(1e-12)
    labels = torch.empty(len(vectors), dtype=torch.int64)
    for start in range(0, len(vectors), assign_chunk):
        labels[start : start + assign_chunk] = (matrix[start : start + assign_chunk].float() @ centroids.T).argmax(1)
    return centroids.numpy(), labels.numpy()
