"""`/v1.3/assets`: direct and URL uploads, listing, user metadata, transcription, delete.

Multipart uploads are in library/api/v13/multipart.py. Only video assets exist here: an
image, audio or document upload is a 400 `asset_type_not_supported` (README, v1.3).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from library import assets as services
from library.api.compat.common import body, reject_unknown
from library.api.v13 import schema
from library.api.v13.common import V13View, form_bool, form_json, form_text, page_of
from library.api.v13.representations import asset_json, indexed_asset_json
from library.models import Asset, AssetStatus, Task, TaskStatus, Video
from library.models.tasks import ACTIVE_STATUSES

MAX_LIST_IDS = 100
ASSET_TYPES = ("video", "audio", "image", "document")


class AssetListView(V13View):
    @extend_schema(operation_id="v1.3_assets_list", parameters=schema.ASSET_LIST, responses=schema.PAGE)
    def get(self, request: Request) -> Response:
        params = request.query_params
        queryset = Asset.objects.visible_to(self.teams())
        ids = [i.strip() for value in params.getlist("asset_ids") for i in value.split(",") if i.strip()]
        if len(ids) > MAX_LIST_IDS:
            raise ApplicationError(f"The asset_ids parameter takes at most {MAX_LIST_IDS} ids.")
        if ids:
            queryset = queryset.filter(id__in=ids)
        types = [t.strip() for value in params.getlist("asset_types") for t in value.split(",") if t.strip()]
        if any(kind not in ASSET_TYPES for kind in types):
            raise ApplicationError(f"The asset_types parameter must be among: {', '.join(ASSET_TYPES)}.")
        if types and "video" not in types:
            queryset = queryset.none()  # every asset here is a video
        filename = params.get("filename")
        if filename:
            queryset = queryset.filter(filename__icontains=filename[:500])
        rows, page_info = page_of(request, queryset.order_by("-created_at", "-pk"))
        return Response({"data": [asset_json(asset, request) for asset in rows], "page_info": page_info})

    @extend_schema(
        operation_id="v1.3_assets_create",
        request={"multipart/form-data": schema.AssetDirectBody, "application/json": schema.AssetUrlBody},
        responses={201: schema.OBJECT},
    )
    def post(self, request: Request) -> Response:
        method = form_text(request, "method")
        metadata = form_json(request, "user_metadata")
        filename = form_text(request, "filename", limit=500)
        team = self.own_team()
        if method == "direct":
            upload = request.FILES.get("file")
            if upload is None:
                raise ApplicationError("A direct upload needs the file part.", code="parameter_not_provided")
            asset = services.asset_create_from_file(
                actor=self.actor(),
                team=team,
                content=upload,
                filename=filename or upload.name or "video",
                content_type=upload.content_type or "",
                user_metadata=metadata,
            )
        elif method == "url":
            url = form_text(request, "url", limit=2000)
            if not url:
                raise ApplicationError("A URL upload needs the url parameter.", code="parameter_not_provided")
            asset = services.asset_create_from_url(
                actor=self.actor(), team=team, url=url, filename=filename, user_metadata=metadata
            )
        else:
            raise ApplicationError(
                "The method parameter must be direct or url (multipart uploads: POST /assets/multipart-uploads).",
                code="parameter_not_provided" if not method else "parameter_invalid",
            )
        return Response(asset_json(asset, request), status=status.HTTP_201_CREATED)


class AssetDetailView(V13View):
    @extend_schema(operation_id="v1.3_assets_retrieve", responses=schema.OBJECT)
    def get(self, request: Request, asset_id: str) -> Response:
        return Response(asset_json(self.get_asset(asset_id), request))

    @extend_schema(operation_id="v1.3_assets_delete", parameters=schema.ASSET_DELETE, responses={204: None})
    def delete(self, request: Request, asset_id: str) -> Response:
        force = form_bool(request.query_params.get("force"), name="force")
        services.asset_delete(actor=self.actor(), asset=self.get_asset(asset_id), force=force)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetMetadataView(V13View):
    def _update(self, request: Request, asset_id: str, *, replace: bool) -> Response:
        asset = self.get_asset(asset_id)
        data = body(request)
        reject_unknown(data, {"user_metadata"})
        value: Any = data.get("user_metadata")
        if value is None and replace:
            raise ApplicationError("The user_metadata parameter is required.", code="parameter_not_provided")
        if value is not None:  # a PATCH without it changes nothing
            services.asset_update_metadata(actor=self.actor(), asset=asset, user_metadata=value, replace=replace)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="v1.3_assets_metadata_replace",
        request=schema.json_body(schema.MetadataBody),
        responses={204: None},
    )
    def put(self, request: Request, asset_id: str) -> Response:
        return self._update(request, asset_id, replace=True)

    @extend_schema(
        operation_id="v1.3_assets_metadata_update",
        request=schema.json_body(schema.MetadataBody),
        responses={204: None},
    )
    def patch(self, request: Request, asset_id: str) -> Response:
        return self._update(request, asset_id, replace=False)

    @extend_schema(operation_id="v1.3_assets_metadata_delete", responses={204: None})
    def delete(self, request: Request, asset_id: str) -> Response:
        services.asset_clear_metadata(actor=self.actor(), asset=self.get_asset(asset_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetIndexedAssetsView(V13View):
    @extend_schema(operation_id="v1.3_assets_indexed_assets", parameters=schema.PAGING, responses=schema.PAGE)
    def get(self, request: Request, asset_id: str) -> Response:
        asset = self.get_asset(asset_id)
        videos = Video.objects.visible_to(self.teams()).filter(asset=asset).select_related("index")
        rows, page_info = page_of(request, videos.order_by("created_at", "pk"))
        data = [
            {**indexed_asset_json(video, request), "index": {"_id": video.index_id, "name": video.index.name}}
            for video in rows
        ]
        return Response({"data": data, "page_info": page_info})


TRANSCRIPT_PARTS = ("words", "sentences", "utterances")


class AssetTranscriptionView(V13View):
    """The asset's speech, from the first index that transcribed it (an asset is analysed once)."""

    @extend_schema(operation_id="v1.3_assets_transcription", parameters=schema.TRANSCRIPTION, responses=schema.OBJECT)
    def get(self, request: Request, asset_id: str) -> Response:
        asset = self.get_asset(asset_id)
        include = [p.strip() for value in request.query_params.getlist("include") for p in value.split(",")]
        include = [part for part in include if part] or list(TRANSCRIPT_PARTS)
        if any(part not in TRANSCRIPT_PARTS for part in include):
            raise ApplicationError(f"The include parameter must be among: {', '.join(TRANSCRIPT_PARTS)}.")
        if asset.status == AssetStatus.FAILED:
            return Response({"status": "failed", "error": {"message": asset.error_message or "The asset failed."}})
        heard = [
            video
            for video in asset.videos.filter(indexed_at__isnull=False).select_related("index").order_by("indexed_at")
            if "conversation" in video.index.options and "conversation" not in video.skipped
        ]
        if not heard:
            busy = Task.objects.filter(video__asset=asset, status__in=ACTIVE_STATUSES).exists()
            # Speech is transcribed when the asset is first indexed with the `audio` option.
            return Response({"status": "processing" if busy else "pending"})
        lines = heard[0].transcript
        answer: dict[str, Any] = {"status": TaskStatus.READY}
        if "sentences" in include:
            answer["sentences"] = [_entry(line) for line in lines]
        if "utterances" in include:
            answer["utterances"] = [{**_entry(line), "speaker": None} for line in lines]
        if "words" in include:
            answer["words"] = [
                {"start": word[0], "end": word[1], "value": word[2]} for line in lines for word in line.get("words", [])
            ]
        return Response(answer)


def _entry(line: dict[str, Any]) -> dict[str, Any]:
    return {"start": line["start"], "end": line["end"], "value": line["value"]}
