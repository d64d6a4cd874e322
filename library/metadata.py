"""User metadata of a video: plain keys and finite scalar values, the same rules for writing and filtering.

A key becomes part of an ORM lookup when a search filters by it (`user_metadata__<key>`),
so only plain names are keys: `a__regex` or `a__0` would be lookups, not names. A value
is stored in a JSON column and rendered in every video list, so NaN and Infinity (not
JSON) and NUL characters (refused by PostgreSQL) are refused when written.
"""

from __future__ import annotations

import math
import re
from typing import Any

from core.errors import ApplicationError

# Letters, digits, space, "-", "." and single underscores, not at the end: "__" separates ORM
# lookups, and a trailing "_" would join the "__" that follows the key. Every "_" is followed by
# a non-underscore, so the pattern cannot backtrack (linear in the key's length).
METADATA_KEY_PATTERN = r"^_?(?:[A-Za-z0-9\-. ]+_)*[A-Za-z0-9\-. ]+$"
METADATA_KEY = re.compile(METADATA_KEY_PATTERN)
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 2000
MAX_KEYS = 100


def metadata_key(name: Any) -> str:
    """`name` if it is a plain metadata key; a 400 otherwise (no `__` lookups, no JSON paths)."""
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_KEY_CHARS or not METADATA_KEY.fullmatch(name):
        raise ApplicationError(
            f"The metadata key {str(name)[:80]!r} is not allowed; use 1-64 letters, digits, spaces, '-', '.'"
            " or single '_' (not at the end)."
        )
    return name


def metadata_value(name: str, value: Any) -> str | int | float | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) >= 2**63:
            raise ApplicationError(f"The metadata value of {name!r} must be a finite number.")
        return value
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS or "\x00" in value:
            raise ApplicationError(
                f"The metadata value of {name!r} must be at most {MAX_VALUE_CHARS} characters, without NUL."
            )
        return value
    raise ApplicationError(f"The metadata value of {name!r} must be a string, number or boolean.")


def clean_metadata(metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, dict):
        raise ApplicationError("The metadata parameter must be an object.")
    if len(metadata) > MAX_KEYS:
        raise ApplicationError(f"The metadata parameter holds at most {MAX_KEYS} keys.")
    return {metadata_key(key): metadata_value(key, value) for key, value in metadata.items()}
