"""`/search`, `/search-v2`, `/search/combined` and their page tokens, as Twelve Labs v1.2 answers them.

The views only translate: parameters -> `SearchSpec` (search/params.py), the
search itself (search/query.py), and the response shapes the SDK's strict
models require (`search_pool` and `page_info.page_expired_at` on every response).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.urls import URLPattern
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from engines.base import EngineError
from library.api.compat import schema
from library.api.compat.common import CompatView, body, iso, reject_unknown, required, route
from library.models import Index
from search import tokens
from search.api import schema as search_schema
from search.embeddings import image_vector
from search.params import image_options, image_query, parse_query, parse_spec
from search.query import Moment, SearchOutcome, VideoGroup, search_run
from search.spec import SearchSpec, with_image_vectors
from search.thumbnails import ThumbnailFinder

COMMON = {
    "index_id", "search_options", "conversation_option", "group_by", "threshold", "operator", "filter",
    "page_limit", "sort_option", "adjust_confidence_level",
}  # fmt: skip
# The SDK sends an empty multipart part named "dummy" when there is no file, to force multipart.
SEARCH_V2 = COMMON | {"query_text", "query_media_type", "query_media_url", "query_media_file", "dummy"}
TOKEN = r"(?P<page_token>[^/]+)"
SEARCH_PAGE = inline_serializer(
    "CompatSearchPage",
    {
        "data": serializers.ListField(child=serializers.DictField()),
        "page_info": serializers.DictField(),
        "search_pool": serializers.DictField(),
    },
)


def thumbnail_urls(moments: list[Moment], request: Request) -> dict[tuple[str, float], str | None]:
    """(video id, clip start) -> the URL of the video's thumbnail nearest the clip, in one query."""
    finder = ThumbnailFinder({moment.video_id for moment in moments}, request=request)
    return {
        (moment.video_id, moment.start): finder.url(moment.video_id, moment.start, moment.end) or None
        for moment in moments
    }


def clip_json(moment: Moment, thumbnails: dict[tuple[str, float], str | None]) -> dict[str, Any]:
    return {
        "score": moment.score,
        "start": moment.start,
        "end": moment.end,
        "video_id": moment.video_id,
        "confidence": moment.confidence,
        "thumbnail_url": thumbnails.get((moment.video_id, moment.start)),
        "metadata": [
            {"type": option} if text is None else {"type": option, "text": text} for option, text in moment.metadata
        ],  # fmt: skip
        "modules": [{"type": option, "confidence": confidence} for option, confidence in moment.modules],
    }


def page_moments(page: list[Moment] | list[VideoGroup]) -> list[Moment]:
    return [clip for item in page for clip in (item.clips if isinstance(item, VideoGroup) else (item,))]


def page_info(outcome: SearchOutcome, cursor: tokens.PageCursor) -> dict[str, Any]:
    """Twelve Labs' token page_info: the tokens of the pages before and after the cursor's."""
    limit, total = outcome.spec.page_limit, outcome.total_results
    after = cursor.offset + limit
    return {
        "limit_per_page": limit,
        "total_results": total,
        "page_expired_at": iso(cursor.expires_at_datetime),
        "next_page_token": tokens.encode(cursor.moved(after)) if outcome.more_after(after) else None,
        "prev_page_token": tokens.encode(cursor.moved(max(0, cursor.offset - limit))) if cursor.offset else None,
    }


def page_json(outcome: SearchOutcome, cursor: tokens.PageCursor, request: Request) -> dict[str, Any]:
    """`data` of the cursor's page, `page_info` with the neighbouring tokens, `search_pool`."""
    page = outcome.page(offset=cursor.offset, limit=outcome.spec.page_limit)
    thumbnails = thumbnail_urls(page_moments(page), request)
    data = [
        {"id": item.video_id, "clips": [clip_json(clip, thumbnails) for clip in item.clips]}
        if isinstance(item, VideoGroup)
        else clip_json(item, thumbnails)
        for item in page
    ]
    pool = outcome.pools()[0]
    return {
        "data": data,
        "page_info": page_info(outcome, cursor),
        "search_pool": {
            "total_count": pool.total_count,
            "total_duration": pool.total_duration,
            "index_id": pool.index_id,
        },
    }


def first_page(spec: SearchSpec, index: Index, team_ids: list[int]) -> tuple[SearchOutcome, tokens.PageCursor]:
    """Run a new search and open its page cursor (/v1.2 and /v1.3 alike)."""
    outcome = search_run(spec=spec, indexes=[index], need=spec.page_limit)
    # Page tokens carry an image query as its vector, never the image (cached: no second inference).
    # An index with no ready video never embedded the image, so this can be the first inference.
    try:
        resolved = replace(spec, query=with_image_vectors(spec.query, image_vector))
    except EngineError as exc:
        raise ApplicationError(exc.message, code=exc.code) from exc
    return outcome, tokens.new_cursor(resolved, team_ids)


class _SearchView(CompatView):
    def _run(self, spec: SearchSpec, index: Index) -> Response:
        outcome, cursor = first_page(spec, index, [team.pk for team in self.teams()])
        return Response(page_json(outcome, cursor, self.request))


class SearchView(_SearchView):
    """POST /search: `query` is a text, or (the SDK's older path) a combined-query object."""

    @extend_schema(request=schema.json_body(search_schema.SearchBody), responses=SEARCH_PAGE)
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, COMMON | {"query"})
        index = self.get_index(required(data, "index_id"))
        spec = parse_spec(data, query=parse_query(data.get("query")), index_ids=[index.id])
        return self._run(spec, index)


class CombinedSearchView(_SearchView):
    """POST /search/combined: sub-queries joined by $and, $or, $not and $then."""

    @extend_schema(request=schema.json_body(search_schema.CombinedSearchBody), responses=SEARCH_PAGE)
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, COMMON | {"query"})
        index = self.get_index(required(data, "index_id"))
        query = required(data, "query")
        if not isinstance(query, dict):
            raise ApplicationError('The query of a combined search is an object, e.g. {"$or": [{"text": "..."}]}.')
        spec = parse_spec(data, query=parse_query(query), index_ids=[index.id])
        return self._run(spec, index)


class SearchV2View(_SearchView):
    """POST /search-v2 (the SDK's `search.query`): multipart form, a text or an image query."""

    @extend_schema(
        request={"multipart/form-data": search_schema.SearchV2Body, "application/json": search_schema.SearchV2Body},
        responses=SEARCH_PAGE,
        description="A text query (query_text), or an image: query_media_type=image with query_media_file or "
        "query_media_url.",
    )
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown({**{key: None for key in data}, **{key: None for key in request.FILES}}, SEARCH_V2)
        index = self.get_index(required(data, "index_id"))
        media_type = data.get("query_media_type") or None
        if media_type not in (None, "image"):
            raise ApplicationError('The query_media_type parameter must be "image".')
        if media_type == "image":
            if data.get("query_text"):
                raise ApplicationError("Send either query_text or an image query, not both.")
            spec = parse_spec(data, query=image_query(data, request.FILES), index_ids=[index.id])
            image_options(spec.options)
        else:
            if data.get("query_media_url") or request.FILES.get("query_media_file"):
                raise ApplicationError("An image query needs query_media_type=image.", code="parameter_not_provided")
            spec = parse_spec(data, query=parse_query(data.get("query_text")), index_ids=[index.id])
        return self._run(spec, index)


class PageView(CompatView):
    """GET /search/{page_token} and /search-v2/{page_token}: the page a token points at."""

    @extend_schema(responses=SEARCH_PAGE)
    def get(self, request: Request, page_token: str) -> Response:
        cursor = tokens.decode(page_token, team_ids=[team.pk for team in self.teams()])
        index = self.get_index(cursor.spec.index_ids[0])
        outcome = search_run(spec=cursor.spec, indexes=[index], need=cursor.offset + cursor.spec.page_limit)
        return Response(page_json(outcome, cursor, request))


urlpatterns: list[URLPattern] = [
    route("search", SearchView, "search"),
    route("search/combined", CombinedSearchView, "search-combined"),
    route(f"search/{TOKEN}", PageView, "search-page"),
    route("search-v2", SearchV2View, "search-v2"),
    route(f"search-v2/{TOKEN}", PageView, "search-v2-page"),
]
