"""The search `filter`: which videos may appear, by their metadata (Twelve Labs semantics).

    {"id": ["<video id>", ...], "duration": {"gte": 10, "lte": 60}, "width": 1280,
     "filename": "ad.mp4", "category": "sports", "views": {"gte": 1000}}

`id` takes one id or a list; `duration`, `fps`, `width`, `height` and `size` take a
number or a range ({"gte", "lte", "gt", "lt"}); `filename` a string; any other key
is user metadata (set with PUT /indexes/{id}/videos/{id}) and takes a string, number,
boolean or a numeric range. A metadata key is a plain name (`METADATA_KEY`): it
becomes part of an ORM lookup, so `a__regex` or `a__0` must never reach the query
(library/metadata.py). The filter becomes one query on the video table; the answer is
a mask over the index's video codes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.db.models import Q

from core.errors import ApplicationError
from library.metadata import metadata_key
from library.models import Video
from search.matrix import IndexMatrices

NUMERIC_FIELDS = {"duration": "duration", "fps": "fps", "width": "width", "height": "height", "size": "size"}
RANGE_OPERATORS = {"gte": "gte", "lte": "lte", "gt": "gt", "lt": "lt"}
MAX_IDS = 1000
MAX_TEXT = 2000


def _number(name: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) >= 2**63  # beyond any database column: an error there, not "no match"
    ):
        raise ApplicationError(f"The filter {name!r} must be a number or a range of numbers, not {value!r}.")
    return value


def _range(name: str, lookup: str, value: dict[str, Any]) -> Q:
    if not value or set(value) - set(RANGE_OPERATORS):
        raise ApplicationError(
            f'The filter {name!r} takes a range with gte, lte, gt or lt, e.g. {{"gte": 10, "lte": 60}}.'
        )
    condition = Q()
    for operator, bound in value.items():
        condition &= Q(**{f"{lookup}__{RANGE_OPERATORS[operator]}": _number(name, bound)})
    return condition


def video_filter(data: Any) -> Q:
    """The condition on Video rows; ApplicationError (400) for a filter that cannot mean anything."""
    if data in (None, ""):
        return Q()
    if not isinstance(data, dict):
        raise ApplicationError('The filter parameter must be a JSON object, e.g. {"duration": {"gte": 10}}.')
    condition = Q()
    for name, value in data.items():
        if name in ("id", "_id"):
            ids = [value] if isinstance(value, str) else value
            if not isinstance(ids, list) or not ids or len(ids) > MAX_IDS or not all(isinstance(i, str) for i in ids):
                raise ApplicationError(f"The filter 'id' takes a video id or a list of up to {MAX_IDS} video ids.")
            condition &= Q(id__in=ids)
        elif name in NUMERIC_FIELDS:
            lookup = NUMERIC_FIELDS[name]
            condition &= _range(name, lookup, value) if isinstance(value, dict) else Q(**{lookup: _number(name, value)})
        elif name == "filename":
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                raise ApplicationError(f"The filter 'filename' must be a string of at most {MAX_TEXT} characters.")
            condition &= Q(filename=value)
        elif isinstance(value, dict):
            condition &= _range(name, f"user_metadata__{metadata_key(name)}", value)
        elif isinstance(value, float | int) and not isinstance(value, bool):
            condition &= Q(**{f"user_metadata__{metadata_key(name)}": _number(name, value)})
        elif isinstance(value, str | bool):
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise ApplicationError(f"The filter {name!r} is longer than {MAX_TEXT} characters.")
            condition &= Q(**{f"user_metadata__{metadata_key(name)}": value})
        else:
            raise ApplicationError(f"The filter {name!r} must be a string, a number, a boolean or a range.")
    return condition


def allowed_videos(m: IndexMatrices, data: dict[str, Any]) -> np.ndarray | None:
    """A boolean mask over `m`'s video codes, or None when nothing is filtered."""
    if not data:
        return None
    ids = Video.objects.filter(video_filter(data), index_id=m.index_id, indexed_at__isnull=False).values_list(
        "id", flat=True
    )
    mask = np.zeros(len(m.videos), dtype=bool)
    for video_id in ids:
        code = m.video_code.get(video_id)
        if code is not None:
            mask[code] = True
    return mask
