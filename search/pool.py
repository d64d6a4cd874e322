"""The search pool of an index: its ready videos, their duration, and the options every one skipped.

Twelve Labs' `search_pool`, and what a search must refuse (an option no video has). One
aggregate query, whatever the size of the index; pool_of keeps the answer per content
version, which every video that becomes ready or is deleted moves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.db.models import Count, Q, Sum

from engines.base import ENGINE_OPTIONS
from library.models import Index, Video

_lock = threading.Lock()


def index_skipped(index_id: str) -> tuple[int, float, dict[str, str]]:
    """(ready videos, their total duration, option -> reason for options every ready video skipped)."""
    ready = Video.objects.filter(index_id=index_id, indexed_at__isnull=False)
    totals = ready.aggregate(
        count=Count("id"),
        duration=Sum("duration"),
        **{option: Count("id", filter=Q(skipped__has_key=option)) for option in ENGINE_OPTIONS},
    )
    count = int(totals["count"])
    everywhere: dict[str, str] = {}
    for option in ENGINE_OPTIONS:
        if count and totals[option] == count:
            reasons = ready.filter(skipped__has_key=option).order_by("id").values_list("skipped", flat=True)[:1]
            everywhere[option] = str(reasons[0][option])
    return count, float(totals["duration"] or 0.0), everywhere


_pools: OrderedDict[tuple[str, int], tuple[int, float, dict[str, str]]] = OrderedDict()
POOLS_KEPT = 256


def pool_of(index: Index) -> tuple[int, float, dict[str, str]]:
    """index_skipped (ready videos, their duration, options every video skipped) per content
    version: a few numbers per index, which only a video becoming ready or deleted changes
    (and those move the version), so searches of an unchanged index skip the aggregate."""
    key = (index.id, index.content_version)
    with _lock:
        if key in _pools:
            _pools.move_to_end(key)
            return _pools[key]
    found = index_skipped(index.id)
    with _lock:
        _pools[key] = found
        while len(_pools) > POOLS_KEPT:
            _pools.popitem(last=False)
    return found
