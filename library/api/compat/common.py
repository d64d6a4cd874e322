"""Shared pieces of the Twelve Labs compatible API: paging, filters, ids, times."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, re_path
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from core import params as parsing
from core.auth import request_actor, request_teams
from core.errors import ApplicationError, Forbidden, NotFound
from core.models import Team
from core.rules import Actor
from library.models import Index, Task, Video
from library.selectors import indexes_for_teams

MAX_PAGE_LIMIT = 50
# Keeps (page - 1) * page_limit a valid SQL OFFSET; a larger page number fails the query.
MAX_PAGE = 1_000_000
# Integer filters compare with 64-bit columns; a larger value is an error in the database.
_INT_LIMIT = 2**63
_OPS = {"gte": "gte", "lte": "lte", "gt": "gt", "lt": "lt", "eq": "exact"}
_BRACKET = re.compile(r"^(\w+)\[(\w+)\]$")
# A path parameter: ids, engine names and page tokens.
ID = r"(?P<{}>[0-9a-zA-Z_.\-]+)"


def route(pattern: str, view: type[APIView], name: str) -> URLPattern:
    """Match `pattern` with and without a trailing slash: the SDK never follows redirects."""
    return re_path(rf"^{pattern}/?$", view.as_view(), name=name)


class CompatView(APIView):
    """Base for the /v1.x views: JSON only, key or session auth, team-scoped lookups."""

    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated]
    _teams: list[Any] | None = None

    def teams(self) -> list[Any]:
        # Read once per request: every lookup of the request is scoped by them.
        if self._teams is None:
            self._teams = request_teams(self.request)
        return self._teams

    def actor(self) -> Actor:
        return request_actor(self.request)

    def own_team(self) -> Team:
        """The team a new object goes to: the key's, or a session user's only team."""
        teams = self.teams()
        if not teams:
            raise Forbidden("You are not a member of any team.")
        if len(teams) > 1:
            raise ApplicationError("Use an API key (it names the team the index belongs to).", code="team_ambiguous")
        return teams[0]

    def get_index(self, index_id: str, *, with_totals: bool = False) -> Index:
        """The index, if one of the request's teams owns it (else 404); `with_totals` adds its
        ready videos' count and duration (an aggregate over its videos: for the views showing them)."""
        indexes = indexes_for_teams(self.teams()) if with_totals else Index.objects.visible_to(self.teams())
        index = indexes.filter(id=index_id).first()
        if index is None:
            raise NotFound(f"The index {index_id} does not exist.")
        return index

    def get_video(self, index_id: str, video_id: str) -> Video:
        video = Video.objects.visible_to(self.teams()).filter(id=video_id, index_id=index_id).first()
        if video is None:
            raise NotFound(f"The video {video_id} does not exist in index {index_id}.")
        return video

    def get_task(self, task_id: str) -> Task:
        task = Task.objects.visible_to(self.teams()).select_related("index").filter(id=task_id).first()
        if task is None:
            raise NotFound(f"The task {task_id} does not exist.")
        return task


def iso(value: datetime | None) -> str | None:
    """Times as Twelve Labs writes them: ISO 8601, UTC, milliseconds, 'Z'."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def int_param(params: Any, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    return parsing.integer(params.get(name), name=name, default=default, minimum=minimum, maximum=maximum)


def choice_param(params: Any, name: str, default: str, choices: tuple[str, ...]) -> str:
    return parsing.choice(params.get(name), name=name, default=default, allowed=choices)


def sort_and_page(
    request: Request, queryset: QuerySet[Any], *, sort_fields: dict[str, str], default_sort: str = "created_at"
) -> tuple[list[Any], dict[str, float]]:
    params = request.query_params
    page = int_param(params, "page", 1, minimum=1, maximum=MAX_PAGE)
    limit = int_param(params, "page_limit", 10, minimum=1, maximum=MAX_PAGE_LIMIT)
    sort_by = choice_param(params, "sort_by", default_sort, tuple(sort_fields))
    direction = choice_param(params, "sort_option", "desc", ("asc", "desc"))
    field = sort_fields[sort_by]
    # The primary key breaks ties so pages never repeat or skip rows.
    ordered = queryset.order_by(field if direction == "asc" else f"-{field}", "pk" if direction == "asc" else "-pk")
    total = ordered.count()
    items = list(ordered[(page - 1) * limit : page * limit])
    page_info: dict[str, float] = {
        "limit_per_page": limit,
        "page": page,
        "total_page": max(1, math.ceil(total / limit)),
        "total_results": total,
    }
    return items, page_info


def _parse_value(field: str, raw: str, kind: str) -> Any:
    try:
        if kind in ("float", "int"):
            number = float(raw)
            # inf and nan parse as floats but compare with nothing; huge values overflow the column.
            if not math.isfinite(number) or (kind == "int" and abs(number) >= _INT_LIMIT):
                raise ValueError(raw)
            return number if kind == "float" else int(number)
        if kind == "datetime":
            parsed = parse_datetime(raw.replace("Z", "+00:00")) or parse_date(raw)
            if parsed is None:
                raise ValueError(raw)
            if isinstance(parsed, datetime) and parsed.tzinfo is not None:
                # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
                parsed = parsed.astimezone(UTC)
            return parsed
    except (ValueError, OverflowError):
        raise ApplicationError(f"The {field} filter has an invalid value {raw!r}.") from None
    return raw


def apply_filters(queryset: QuerySet[Any], params: Any, fields: dict[str, tuple[str, str]]) -> QuerySet[Any]:
    """Filter by `name=value` and `name[gte|lte|gt|lt]=value` for the given fields.

    `fields` maps a public name to (model lookup, kind) with kind in
    str/int/float/datetime; the Twelve Labs SDK sends ranges in the bracket form.
    """
    for key in params:
        match = _BRACKET.match(key)
        name, op = (match.group(1), match.group(2)) if match else (key, "eq")
        if name not in fields:
            continue
        if op not in _OPS:
            raise ApplicationError(f"The {key} filter is not supported; use [gte], [lte], [gt] or [lt].")
        lookup, kind = fields[name]
        value = _parse_value(key, params.get(key), kind)
        if kind == "datetime" and op == "eq" and not isinstance(value, datetime):
            queryset = queryset.filter(**{f"{lookup}__date": value})
        else:
            queryset = queryset.filter(**{f"{lookup}__{_OPS[op]}": value})
    return queryset


def body(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict) and not hasattr(data, "getlist"):
        raise ApplicationError("The request body must be a JSON object.")
    return data  # type: ignore[return-value]


def reject_unknown(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApplicationError(f"Unknown parameter(s): {', '.join(unknown)}.", code="parameter_unknown")


def required(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    if value in (None, "", []):
        raise ApplicationError(f"The {name} parameter is required.", code="parameter_not_provided")
    return value
