"""What other apps may use of search: the pages and the API run searches, classification reads the
vectors and calibration, everyone finds thumbnails. Everything else in `search` is internal (the
import contract in pyproject.toml keeps taxonomy, studio and config to this module and `search.api`).
"""

from __future__ import annotations

from search import calibration
from search.embeddings import text_vectors, visual_calibration, visual_text_vector
from search.matrix import IndexMatrices, index_matrices
from search.query import Moment, search_run
from search.spec import Leaf, SearchSpec
from search.text import normalise
from search.thumbnails import ThumbnailFinder

__all__ = [
    "IndexMatrices",
    "Leaf",
    "Moment",
    "SearchSpec",
    "ThumbnailFinder",
    "calibration",
    "index_matrices",
    "normalise",
    "search_run",
    "text_vectors",
    "visual_calibration",
    "visual_text_vector",
]
