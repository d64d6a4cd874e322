"""How segment vectors are stored: float16 bytes in the database, float32 arrays in memory.

float16 halves the rows and the in-memory matrices; cosine ranking loses nothing that
matters at this precision (docs/search.md).
"""

from __future__ import annotations

import numpy as np

VECTOR_DTYPE = np.float16


def vector_to_bytes(vector: np.ndarray | None) -> bytes | None:
    if vector is None:
        return None
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def vector_from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    if data is None:
        return None
    return np.frombuffer(bytes(data), dtype=VECTOR_DTYPE).astype(np.float32)
