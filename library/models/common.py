from __future__ import annotations

import secrets
import time


def new_object_id() -> str:
    """A 24-hex id shaped like the Twelve Labs (MongoDB ObjectId) ids clients already store.

    The first 8 hex digits are the creation time, so ids sort roughly by age; the other
    16 are random, so ids cannot be guessed or enumerated.
    """
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"
