"""`/v1.3/indexes/{id}/indexed-assets`: an asset indexed into an index, i.e. a Video of that index.

The indexed asset's id is the Video's id, so search results' `video_id`, `/indexes/{id}/videos/{id}`
and the indexed asset agree. Videos uploaded through `/tasks` are indexed assets without an asset.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError, NotFound
from library import assets as asset_services
from library import services
from library.api.compat.common import apply_filters, body, reject_unknown
from library.api.v13 import schema
from library.api.v13.common import V13View, form_bool, sort_and_page
from library.api.v13.representations import indexed_asset_json, indexed_asset_status, transcription_items
from library.metadata import metadata_key
from library.models import Asset, Task, TaskStatus, Video
from library.vector_codec import vector_from_bytes

FILTERS = {
    "filename": ("filename", "str"),
    "duration": ("duration", "float"),
    "fps": ("fps", "float"),
    "width": ("width", "int"),
    "height": ("height", "int"),
    "size": ("size", "int"),
    "created_at": ("created_at", "datetime"),
    "updated_at": ("updated_at", "datetime"),
}
EMBEDDING_OPTIONS = ("visual", "audio", "transcription")


def with_latest_task(videos: QuerySet[Video]) -> QuerySet[Video]:
    return videos.prefetch_related(
        Prefetch("tasks", queryset=Task.objects.order_by("-created_at"), to_attr="latest_tasks")
    )


def _metadata_filters(videos: QuerySet[Video], params: Any) -> QuerySet[Video]:
    """`user_metadata[key]=value` (the SDK's spelling): equal as a string, number or boolean."""
    for raw_key in params:
        if not (raw_key.startswith("user_metadata[") and raw_key.endswith("]")):
            continue
        key = metadata_key(raw_key[len("user_metadata[") : -1])
        value = params.get(raw_key)
        candidates: list[Any] = [value]
        if value in ("true", "false"):
            candidates.append(value == "true")
        try:
            number = float(value)
            candidates.append(int(number) if number.is_integer() and abs(number) < 2**53 else number)
        except ValueError:
            pass
        query = None
        for candidate in candidates:
            part = videos.filter(**{f"user_metadata__{key}": candidate})
            query = part if query is None else query | part
        videos = query if query is not None else videos
    return videos


class IndexedAssetListView(V13View):
    @extend_schema(operation_id="v1.3_indexed_assets_list", parameters=schema.INDEXED_ASSET_LIST, responses=schema.PAGE)
    def get(self, request: Request, index_id: str) -> Response:
        index = self.get_index(index_id)
        params = request.query_params
        videos = apply_filters(index.videos.all(), params, FILTERS)
        videos = _metadata_filters(videos, params)
        wanted = params.getlist("status")
        if any(value not in TaskStatus.values for value in wanted):
            raise ApplicationError(f"The status parameter must be among: {', '.join(TaskStatus.values)}.")
        if wanted:
            # The status is the latest task's (with its lease read), so it is matched in Python.
            videos = videos.filter(
                id__in=[video.id for video in with_latest_task(videos) if indexed_asset_status(video) in wanted]
            )
        rows, page_info = sort_and_page(
            request, with_latest_task(videos), sort_fields={"created_at": "created_at", "updated_at": "updated_at"}
        )
        return Response({"data": [indexed_asset_json(video, request) for video in rows], "page_info": page_info})

    @extend_schema(
        operation_id="v1.3_indexed_assets_create",
        request=schema.json_body(schema.IndexedAssetCreateBody),
        responses={202: schema.OBJECT},
    )
    def post(self, request: Request, index_id: str) -> Response:
        index = self.get_index(index_id)
        data = body(request)
        reject_unknown(data, {"asset_id", "enable_video_stream", "user_metadata"})
        asset_id = data.get("asset_id")
        if not isinstance(asset_id, str) or not asset_id:
            raise ApplicationError("The asset_id parameter is required.", code="parameter_not_provided")
        asset = Asset.objects.of_team(index.team_id).filter(id=asset_id).first()
        if asset is None:
            raise NotFound(f"The asset {asset_id} does not exist.")
        video = asset_services.asset_index(
            actor=self.actor(), index=index, asset=asset, user_metadata=data.get("user_metadata")
        )
        return Response({"_id": video.id, "asset_id": asset.id}, status=status.HTTP_202_ACCEPTED)


class IndexedAssetDetailView(V13View):
    @extend_schema(
        operation_id="v1.3_indexed_assets_retrieve", parameters=schema.INDEXED_ASSET_DETAIL, responses=schema.OBJECT
    )
    def get(self, request: Request, index_id: str, indexed_asset_id: str) -> Response:
        video = self.get_indexed_asset(index_id, indexed_asset_id)
        payload = indexed_asset_json(video, request, detailed=True)
        if form_bool(request.query_params.get("transcription"), name="transcription"):
            payload["transcription"] = transcription_items(video)
        options = [o for value in request.query_params.getlist("embedding_option") for o in value.split(",") if o]
        if any(option not in EMBEDDING_OPTIONS for option in options):
            raise ApplicationError(f"The embedding_option parameter must be among: {', '.join(EMBEDDING_OPTIONS)}.")
        if options:
            payload["embedding"] = segment_embeddings(video, options)
        return Response(payload)

    @extend_schema(
        operation_id="v1.3_indexed_assets_update",
        request=schema.json_body(schema.MetadataBody),
        responses={204: None},
    )
    def patch(self, request: Request, index_id: str, indexed_asset_id: str) -> Response:
        video = self.get_indexed_asset(index_id, indexed_asset_id)
        data = body(request)
        reject_unknown(data, {"user_metadata"})
        metadata = data.get("user_metadata")
        if metadata is not None:  # a PATCH without it changes nothing
            services.video_update(actor=self.actor(), video=video, metadata=metadata)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="v1.3_indexed_assets_delete", responses={204: None})
    def delete(self, request: Request, index_id: str, indexed_asset_id: str) -> Response:
        services.video_delete(actor=self.actor(), video=self.get_indexed_asset(index_id, indexed_asset_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# v1.3 embedding option -> the segment vector that holds it.
_VECTORS = {"visual": "visual_vector", "audio": "conversation_vector", "transcription": "conversation_vector"}


def segment_embeddings(video: Video, options: list[str]) -> dict[str, Any]:
    """The stored segment vectors of the video, one entry per segment and option (float16 read as floats)."""
    segments = []
    for segment in video.segments.all():
        for option in dict.fromkeys(options):
            vector = vector_from_bytes(getattr(segment, _VECTORS[option]))
            if vector is None:
                continue
            segments.append(
                {
                    "start_offset_sec": segment.start,
                    "end_offset_sec": segment.end,
                    "embedding_option": option,
                    "embedding_scope": "clip",
                    "float": [float(x) for x in vector],
                }
            )
    return {"model_name": video.engine_name or None, "video_embedding": {"segments": segments}}


class VideoListView(V13View):
    """`/indexes/{id}/videos`: the deprecated spelling of the indexed assets list (same objects; videos
    are created through /tasks or indexed assets, so no POST here)."""

    @extend_schema(operation_id="v1.3_videos_list", parameters=schema.INDEXED_ASSET_LIST, responses=schema.PAGE)
    def get(self, request: Request, index_id: str) -> Response:
        return IndexedAssetListView.get(self, request, index_id)  # type: ignore[arg-type]


class VideoDetailView(IndexedAssetDetailView):
    """`/indexes/{id}/videos/{video_id}`: an indexed asset by its deprecated name."""

    @extend_schema(operation_id="v1.3_videos_retrieve", parameters=schema.INDEXED_ASSET_DETAIL, responses=schema.OBJECT)
    def get(self, request: Request, index_id: str, video_id: str) -> Response:
        return super().get(request, index_id, video_id)

    @extend_schema(
        operation_id="v1.3_videos_update", request=schema.json_body(schema.MetadataBody), responses={204: None}
    )
    def patch(self, request: Request, index_id: str, video_id: str) -> Response:
        return super().patch(request, index_id, video_id)

    @extend_schema(operation_id="v1.3_videos_delete", responses={204: None})
    def delete(self, request: Request, index_id: str, video_id: str) -> Response:
        return super().delete(request, index_id, video_id)
