"""Inverted lists (search/partition.py): exact where they scan, and what they miss is measured.

Unit tests on clustered vectors with known centres, then the generated corpus searched
through a partitioned matrix must give the answers exact search gives.
"""

# The corpus fixtures are imported from search_corpus.py, so test arguments shadow the imports.
# ruff: noqa: F811
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from search import matrix, partition
from search.vectors import OptionMatrix, similarities, unit_matrix
from tests.library.search_corpus import MOMENTS, Moment, cached_analysis, corpus, corpus_paths  # noqa: F401

DIMENSIONS = 64

# Both sides are float16 products: a list's slice and the whole matrix may round the last bit
# differently, depending on the CPU's half-precision kernels (one step near 1 is 2**-11 = 0.00049).
FLOAT16_STEP = 2**-11 + 1e-6


def clustered(count: int, clusters: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(float16 unit vectors, their cluster centres), vectors shuffled."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIMENSIONS)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, clusters, size=count)
    vectors = centres[labels] + noise * rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    return unit_matrix(vectors), centres


def test_every_vector_sits_in_the_list_of_its_nearest_centroid() -> None:
    vectors, _ = clustered(4_000, 30, 0.1)
    order, lists = partition.partition(vectors, lists=25)
    assert sorted(order.tolist()) == list(range(len(vectors)))
    assert lists.offsets[0] == 0 and lists.offsets[-1] == len(vectors) and np.all(np.diff(lists.offsets) >= 0)
    ordered = vectors[order].astype(np.float32)
    nearest = (ordered @ lists.centroids.T).argmax(axis=1)
    owner = np.repeat(np.arange(25), np.diff(lists.offsets))
    assert np.array_equal(nearest, owner)
    np.testing.assert_allclose(np.linalg.norm(lists.centroids, axis=1), 1.0, atol=1e-5)


def test_the_same_content_gives_the_same_lists() -> None:
    vectors, _ = clustered(3_000, 20, 0.1)
    first_order, first = partition.partition(vectors, lists=16)
    second_order, second = partition.partition(vectors, lists=16)
    assert np.array_equal(first_order, second_order) and np.array_equal(first.offsets, second.offsets)


def test_scanning_every_list_is_exact_search() -> None:
    vectors, centres = clustered(3_000, 20, 0.2)
    order, lists = partition.partition(vectors, lists=16)
    ordered = np.ascontiguousarray(vectors[order])
    positions, cosines = partition.scan(ordered, lists, centres[3], probes=16)
    assert sorted(positions.tolist()) == list(range(len(vectors)))
    exact = similarities(ordered, centres[3])
    np.testing.assert_allclose(cosines, exact[positions], atol=FLOAT16_STEP)


def test_a_query_finds_its_cluster_while_scanning_a_fraction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partition, "PARTITION_FROM", 1_000)
    vectors, centres = clustered(6_000, 40, 0.08)
    rows = np.arange(len(vectors), dtype=np.int32)
    partitioned = OptionMatrix.of(rows, vectors)
    exact = OptionMatrix(rows=rows, vectors=vectors)
    assert partitioned.partitions is not None and partitioned.partitions.probes < len(partitioned.partitions.centroids)
    for centre in centres:
        found, found_cosines = partitioned.passing(centre, 0.5, 10**6)
        expected, _ = exact.passing(centre, 0.5, 10**6)
        assert len(expected) > 50  # a cluster's members pass, nothing else does
        assert set(partitioned.rows[found].tolist()) == set(exact.rows[expected].tolist())
        np.testing.assert_allclose(found_cosines, similarities(partitioned.vectors[found], centre), atol=FLOAT16_STEP)
    # Scanned: the probed lists only, not the matrix.
    scanned, _ = partition.scan(partitioned.vectors, partitioned.partitions, centres[0])
    assert len(scanned) < len(vectors) / 4


def test_classification_sees_the_matrix_in_row_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partition, "PARTITION_FROM", 1_000)
    vectors, _ = clustered(2_000, 10, 0.1)
    partitioned = OptionMatrix.of(np.arange(len(vectors), dtype=np.int32) * 2, vectors)
    assert not np.all(np.diff(partitioned.rows) > 0)  # stored list by list
    rows, ordered = partitioned.in_row_order()
    assert np.array_equal(rows, np.arange(len(vectors)) * 2)
    assert np.array_equal(ordered, vectors)
    assert OptionMatrix(rows=rows, vectors=vectors).in_row_order()[1] is vectors  # no copy when unpartitioned


@pytest.mark.django_db(transaction=True)
def test_the_corpus_searched_through_lists_finds_each_sentence(
    api: Any, index: Any, corpus: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(partition, "PARTITION_FROM", 1)
    matrix.clear_cache()
    built = matrix.index_matrices(index.id)
    assert built.options["conversation"].partitions is not None
    moment: Moment
    for moment in MOMENTS:
        response = api.post(
            "/v1.2/search",
            {"query": moment.paraphrase, "index_id": index.id, "search_options": ["conversation"]},
            format="json",
        )
        top = response.json()["data"][0]
        assert top["video_id"] == corpus[moment.video] and top["start"] < moment.end and top["end"] > moment.start
    matrix.clear_cache()
