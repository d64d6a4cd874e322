"""`/indexes/{id}/videos` and what indexing extracted from each video."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from library import services
from library.api.compat import schema
from library.api.compat.common import (
    CompatView,
    apply_filters,
    body,
    reject_unknown,
    sort_and_page,
)
from library.api.compat.representations import video_json
from library.api.transcription import JsonWhateverTheFormat, time_window, transcription_response
from library.media import media_url
from library.selectors import ready_videos

VIDEO_FILTERS = {
    "_id": ("id", "str"),
    "filename": ("filename", "str"),
    "duration": ("duration", "float"),
    "fps": ("fps", "float"),
    "width": ("width", "int"),
    "height": ("height", "int"),
    "size": ("size", "int"),
    "created_at": ("created_at", "datetime"),
    "updated_at": ("updated_at", "datetime"),
    "indexed_at": ("indexed_at", "datetime"),
}


class VideoListView(CompatView):
    @extend_schema(operation_id="v1.2_indexes_videos_list", parameters=schema.VIDEO_LIST, responses=schema.PAGE)
    def get(self, request: Request, index_id: str) -> Response:
        index = self.get_index(index_id, with_totals=True)
        queryset = apply_filters(ready_videos(index).select_related("index"), request.query_params, VIDEO_FILTERS)
        rows, page_info = sort_and_page(
            request,
            queryset,
            sort_fields={"created_at": "created_at", "updated_at": "updated_at", "indexed_at": "indexed_at"},
        )
        page_info["total_duration"] = round(float(getattr(index, "total_duration", 0.0) or 0.0), 6)
        return Response({"data": [video_json(video, request) for video in rows], "page_info": page_info})


class VideoDetailView(CompatView):
    @extend_schema(responses=schema.OBJECT)
    def get(self, request: Request, index_id: str, video_id: str) -> Response:
        return Response(video_json(self.get_video(index_id, video_id), request))

    @extend_schema(request=schema.json_body(schema.VideoUpdateBody), responses={204: None})
    def put(self, request: Request, index_id: str, video_id: str) -> Response:
        video = self.get_video(index_id, video_id)
        data = body(request)
        reject_unknown(data, {"video_title", "metadata"})
        services.video_update(
            actor=self.actor(), video=video, title=data.get("video_title"), metadata=data.get("metadata")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, index_id: str, video_id: str) -> Response:
        services.video_delete(actor=self.actor(), video=self.get_video(index_id, video_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _values_in_window(
    items: list[dict[str, Any]], start: float, end: float, *, extra: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    return [
        {"start": item["start"], "end": item["end"], "value": item["value"], **{key: item.get(key) for key in extra}}
        for item in items
        if item["end"] >= start and item["start"] <= end
    ]


class _ExtractionView(CompatView):
    field = ""
    option = ""
    extra: tuple[str, ...] = ()

    @extend_schema(parameters=schema.TIME_WINDOW, responses=schema.PAGE)
    def get(self, request: Request, index_id: str, video_id: str) -> HttpResponse:
        video = self.get_video(index_id, video_id)
        if self.option not in video.index.options:
            raise ApplicationError(
                f"The index was created without the {self.option} option.", code="index_option_not_enabled"
            )
        start, end = time_window(request)
        return Response({"data": _values_in_window(getattr(video, self.field), start, end, extra=self.extra)})


class TranscriptionView(_ExtractionView):
    """The transcript in the spoken language; `language=en` its English translation;
    `format=srt|vtt` a subtitle file instead of JSON."""

    field, option = "transcript", "conversation"
    content_negotiation_class = JsonWhateverTheFormat

    def get(self, request: Request, index_id: str, video_id: str) -> HttpResponse:
        video = self.get_video(index_id, video_id)
        if self.option not in video.index.options:
            raise ApplicationError(
                f"The index was created without the {self.option} option.", code="index_option_not_enabled"
            )
        return transcription_response(video, request)


class TextInVideoView(_ExtractionView):
    field, option = "texts", "text_in_video"


class LogoView(_ExtractionView):
    field, option = "logos", "logo"


class ConceptsView(_ExtractionView):
    """Objects and scenes the visual concept classifier saw (a Framewise addition: Twelve
    Labs has no such endpoint). Each item also has the class's highest probability."""

    field, option, extra = "concepts", "visual", ("confidence",)


class ThumbnailView(CompatView):
    @extend_schema(
        parameters=[OpenApiParameter("time", float, description="seconds; the nearest thumbnail")],
        responses=schema.OBJECT,
    )
    def get(self, request: Request, index_id: str, video_id: str) -> Response:
        video = self.get_video(index_id, video_id)
        raw = request.query_params.get("time")
        try:
            at = float(raw) if raw not in (None, "") else None
        except ValueError:
            raise ApplicationError("The time parameter must be a number of seconds.") from None
        thumbnails = list(video.thumbnails.all())
        if not thumbnails:
            raise ApplicationError("This video has no thumbnails yet.", code="thumbnail_not_available")
        chosen = thumbnails[0] if at is None else min(thumbnails, key=lambda t: abs(t.time - at))
        return Response({"thumbnail": media_url(chosen.image.name, request=request), "time": chosen.time})
