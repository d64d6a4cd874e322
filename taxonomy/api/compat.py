"""`POST /classify` (video_ids), `POST /classify/bulk` (index_id) and `GET /classify/{page_token}`.

The views parse; the ad-hoc classification itself is a service (taxonomy/adhoc.py).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core import params
from core.errors import ApplicationError, NotFound
from library.api.compat import schema
from library.api.compat.common import ID, CompatView, body, iso, reject_unknown, required, route
from library.models import Index, Video
from taxonomy import selectors
from taxonomy.adhoc import AdhocRequest, classify_adhoc_run
from taxonomy.api import schema as taxonomy_schema
from taxonomy.models import ClassifyResultSet
from taxonomy.params import (
    parse_bool,
    parse_classes,
    parse_conversation_option,
    parse_options,
    parse_thresholds,
)

COMMON_FIELDS = {
    "classes",
    "options",
    "conversation_option",
    "include_clips",
    "show_detailed_score",
    "threshold",
    "page_limit",
}
MAX_VIDEO_IDS = 1000
CLASSIFY_PAGE = inline_serializer(
    "CompatClassifyPage",
    {"data": serializers.ListField(child=serializers.DictField()), "page_info": serializers.DictField()},
)


class _ClassifyView(CompatView):
    def classify(self, request: Request, data: dict[str, Any], indexes: dict[str, list[str] | None]) -> Response:
        """Parse the classes and flags, run the ad-hoc classification, answer with page 1."""
        options = parse_options(data.get("options"))
        adhoc = AdhocRequest(
            specs=parse_classes(
                data.get("classes"),
                options=options,
                conversation_option=parse_conversation_option(data.get("conversation_option")),
            ),
            thresholds=parse_thresholds(data.get("threshold")),
            include_clips=parse_bool(data.get("include_clips"), "include_clips"),
            detailed=parse_bool(data.get("show_detailed_score"), "show_detailed_score"),
            page_limit=params.page_limit(data.get("page_limit")),
        )
        rows = {index.id: index for index in Index.objects.filter(id__in=indexes)}
        result_set = classify_adhoc_run(
            actor=self.actor(),
            request=adhoc,
            selection={rows[index_id]: videos for index_id, videos in indexes.items()},
        )
        return Response(page_json(request, result_set, 1))


class ClassifyVideosView(_ClassifyView):
    @extend_schema(request=schema.json_body(taxonomy_schema.ClassifyVideosBody), responses=CLASSIFY_PAGE)
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, COMMON_FIELDS | {"video_ids"})
        video_ids = required(data, "video_ids")
        if not isinstance(video_ids, list) or not all(isinstance(v, str) and v for v in video_ids):
            raise ApplicationError("The video_ids parameter must be a list of video ids.")
        if len(video_ids) > MAX_VIDEO_IDS:
            raise ApplicationError(f"At most {MAX_VIDEO_IDS} video_ids per request; use /classify/bulk for more.")
        found = dict(Video.objects.visible_to(self.teams()).filter(id__in=video_ids).values_list("id", "index_id"))
        missing = [video_id for video_id in dict.fromkeys(video_ids) if video_id not in found]
        if missing:
            raise NotFound(f"The video(s) {', '.join(missing[:5])} do not exist.")
        indexes: dict[str, list[str] | None] = {}
        for video_id in dict.fromkeys(video_ids):
            indexes.setdefault(found[video_id], []).append(video_id)  # type: ignore[union-attr]
        return self.classify(request, data, indexes)


class ClassifyIndexView(_ClassifyView):
    @extend_schema(request=schema.json_body(taxonomy_schema.ClassifyIndexBody), responses=CLASSIFY_PAGE)
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, COMMON_FIELDS | {"index_id"})
        index = self.get_index(str(required(data, "index_id")))
        return self.classify(request, data, {index.id: None})


class ClassifyPageView(CompatView):
    @extend_schema(responses=CLASSIFY_PAGE)
    def get(self, request: Request, page_token: str) -> Response:
        result_set, page = selectors.classify_result_page(token=page_token, teams=self.teams())
        return Response(page_json(request, result_set, page))


def page_json(request: Request, result_set: ClassifyResultSet, page: int) -> dict[str, Any]:
    limit = result_set.page_limit
    total = len(result_set.results)
    data = result_set.results[(page - 1) * limit : page * limit]
    selectors.attach_clip_thumbnails(data, request=request)
    payload: dict[str, Any] = {
        "data": data,
        "page_info": {
            "limit_per_page": limit,
            "total_results": total,
            "page_expired_at": iso(result_set.expires_at),
            "next_page_token": selectors.page_token(result_set, page + 1) if page * limit < total else "",
            "prev_page_token": selectors.page_token(result_set, page - 1) if page > 1 else "",
        },
    }
    if result_set.skipped_options:
        # Options that contributed nothing (e.g. visual without a visual model), and why.
        payload["skipped_options"] = result_set.skipped_options
    return payload


urlpatterns: list[URLPattern] = [
    route("classify", ClassifyVideosView, "classify"),
    # Before the token route: "bulk" would also match a token.
    route("classify/bulk", ClassifyIndexView, "classify-bulk"),
    route(f"classify/{ID.format('page_token')}", ClassifyPageView, "classify-page"),
]
