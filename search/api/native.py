"""`POST /api/v1/search/`: one search over every index of the caller's teams (or a chosen few).

The same search as `/v1.2/search` (library/search), ranked across indexes: scores are
calibrated per option, not per index, so a 70 in one index means what it means in
another and one list can interleave them. Each index is searched with the options it
can search; an index with none of the requested options is left out. Pages come
from `GET /api/v1/search/{page_token}/`.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, re_path
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.auth import request_teams
from core.errors import ApplicationError
from library.api.compat.common import body, reject_unknown
from library.api.compat.schema import NOT_BLANK
from library.models import Index
from library.selectors import indexes_for_teams
from search import tokens
from search.api.compat import clip_json, page_info, page_moments, thumbnail_urls
from search.api.schema import SearchOptionsBody
from search.params import MAX_QUERY_CHARS, parse_query, parse_spec
from search.query import Moment, SearchOutcome, VideoGroup, search_run

FIELDS = {
    "query", "index_ids", "search_options", "conversation_option", "group_by", "threshold", "operator",
    "filter", "page_limit", "sort_option", "adjust_confidence_level",
}  # fmt: skip
MAX_INDEXES = 100


class NativeSearchBody(SearchOptionsBody):
    query = serializers.RegexField(NOT_BLANK, max_length=MAX_QUERY_CHARS)
    index_ids = serializers.ListField(
        child=serializers.CharField(), required=False, max_length=MAX_INDEXES, help_text="Default: every index."
    )


_RESPONSE = inline_serializer(
    "NativeSearchPage",
    {
        "data": serializers.ListField(child=serializers.DictField()),
        "page_info": serializers.DictField(),
        "search_pool": serializers.ListField(child=serializers.DictField()),
    },
)


def _indexes(request: Request, wanted: Any) -> list[Index]:
    indexes = indexes_for_teams(request_teams(request)).order_by("created_at")
    if wanted is None:
        found = list(indexes[:MAX_INDEXES])
    else:
        if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted) or len(wanted) > MAX_INDEXES:
            raise ApplicationError(f"The index_ids parameter must be a list of up to {MAX_INDEXES} index ids.")
        found = list(indexes.filter(id__in=wanted))
        missing = sorted(set(wanted) - {index.id for index in found})
        if missing:
            raise ApplicationError(
                f"No index {', '.join(missing)} in your teams.", code="resource_not_exist", status=404
            )
    if not found:
        raise ApplicationError("You have no index to search yet; create one and upload videos first.")
    return found


def _page(outcome: SearchOutcome, cursor: tokens.PageCursor, request: Request) -> dict[str, Any]:
    page = outcome.page(offset=cursor.offset, limit=outcome.spec.page_limit)
    thumbnails = thumbnail_urls(page_moments(page), request)

    def clip(moment: Moment) -> dict[str, Any]:
        return {"index_id": moment.index_id, **clip_json(moment, thumbnails)}

    data = [
        {"index_id": item.index_id, "video_id": item.video_id, "clips": [clip(c) for c in item.clips]}
        if isinstance(item, VideoGroup)
        else clip(item)
        for item in page
    ]
    return {
        "data": data,
        "page_info": page_info(outcome, cursor),
        "search_pool": [
            {"index_id": p.index_id, "total_count": p.total_count, "total_duration": p.total_duration}
            for p in outcome.pools()
        ],
    }


class NativeSearchView(APIView):
    @extend_schema(
        request={"application/json": NativeSearchBody},
        responses=_RESPONSE,
        examples=[OpenApiExample("text", value={"query": "cooking pasta", "search_options": ["conversation"]})],
    )
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, FIELDS)
        indexes = _indexes(request, data.get("index_ids"))
        spec = parse_spec(data, query=parse_query(data.get("query")), index_ids=[index.id for index in indexes])
        outcome = search_run(spec=spec, indexes=indexes, lenient=True)
        cursor = tokens.new_cursor(spec, [team.pk for team in request_teams(request)])
        return Response(_page(outcome, cursor, request))


class NativeSearchPageView(APIView):
    @extend_schema(responses=_RESPONSE)
    def get(self, request: Request, page_token: str) -> Response:
        teams = request_teams(request)
        cursor = tokens.decode(page_token, team_ids=[team.pk for team in teams])
        indexes = _indexes(request, list(cursor.spec.index_ids))
        outcome = search_run(spec=cursor.spec, indexes=indexes, lenient=True)
        return Response(_page(outcome, cursor, request))


urlpatterns: list[URLPattern] = [
    re_path(r"^search/$", NativeSearchView.as_view(), name="native-search"),
    re_path(r"^search/(?P<page_token>[^/]+)/$", NativeSearchPageView.as_view(), name="native-search-page"),
]
