"""Taxonomies, classification runs and labeled libraries on the native API (/api/v1/)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.utils import encoders

from core.auth import request_actor, request_teams
from core.errors import ApplicationError, NotFound
from library.api.native.serializers import VideoSerializer
from library.api.native.views import request_team
from library.models import Index, Video
from library.selectors import indexes_for_teams
from taxonomy import iab_import, label_services, run_services, selectors, services
from taxonomy.api.serializers import (
    ImportReportSerializer,
    LabelCountSerializer,
    LabelCreateSerializer,
    LabelSerializer,
    NodeSerializer,
    NodeUpdateSerializer,
    RunCreateSerializer,
    RunSerializer,
    TaxonomyCreateSerializer,
    TaxonomyImportSerializer,
    TaxonomySerializer,
)
from taxonomy.iab import guess_version
from taxonomy.models import ClassificationRun, Taxonomy, TaxonomyNode, VideoLabel
from taxonomy.params import ClassSpec, parse_thresholds


def _index(request: Request, index_id: str | None) -> Index:
    if not index_id:
        raise ApplicationError("The index parameter is required.", code="parameter_not_provided")
    index = indexes_for_teams(request_teams(request)).filter(id=index_id).first()
    if index is None:
        raise NotFound(f"The index {index_id} does not exist.")
    return index


# What `_integer` accepts: a non-negative integer of at most 18 digits.
ID_PARAM = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}


def _integer(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    # ASCII digits only ("²".isdigit() is true, int("²") fails), and within a bigint.
    if not re.fullmatch(r"[0-9]{1,18}", str(value)):
        raise ApplicationError(f"The {name} parameter must be an id (a positive integer).")
    return int(str(value))


class TaxonomyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaxonomySerializer

    def get_queryset(self) -> QuerySet[Taxonomy]:
        return selectors.taxonomies_for_teams(request_teams(self.request))

    @extend_schema(request={"application/json": TaxonomyCreateSerializer}, responses={201: TaxonomySerializer})
    def create(self, request: Request) -> Response:
        """Save a flat list of classes as a taxonomy (same name again: updated in place)."""
        payload = TaxonomyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        classes = [
            ClassSpec(name=item["name"], prompts=tuple(item["prompts"]), options=tuple(item.get("options", ())))
            for item in data["classes"]
        ]
        taxonomy = services.taxonomy_save_classes(
            actor=request_actor(request),
            team=request_team(request, data.get("team")),
            name=data["name"],
            classes=classes,
        )
        return Response(
            TaxonomySerializer(self.get_queryset().get(id=taxonomy.id)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=TaxonomyImportSerializer, responses={200: ImportReportSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_iab(self, request: Request) -> Response:
        """Import or refresh an IAB Content Taxonomy TSV (idempotent; edited prompts survive)."""
        payload = TaxonomyImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        content = upload  # read in chunks by the parser, up to its size limit
        version = guess_version(upload.name, content)
        report = iab_import.taxonomy_import_iab(
            actor=request_actor(request),
            team=request_team(request, payload.validated_data.get("team")),
            data=content,
            name=payload.validated_data.get("name") or f"IAB Content Taxonomy {version}".strip(),
            version=version,
        )
        taxonomy = self.get_queryset().get(id=report.taxonomy.id)
        return Response(ImportReportSerializer({**report.__dict__, "taxonomy": taxonomy}).data)


class NodeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NodeSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("taxonomy", ID_PARAM),
            OpenApiParameter("parent", ID_PARAM, description="children of this node"),
            OpenApiParameter("depth", ID_PARAM),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[TaxonomyNode]:
        nodes = TaxonomyNode.objects.visible_to(request_teams(self.request)).order_by("taxonomy", "path")
        params = self.request.query_params
        for name in ("taxonomy", "parent", "depth"):
            value = _integer(params.get(name), name)
            if value is not None:
                nodes = nodes.filter(**{name: value})
        return nodes

    @extend_schema(request={"application/json": NodeUpdateSerializer}, responses={200: NodeSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Edit a node's prompts, options or active flag; edited prompts survive re-imports."""
        node = self.get_object()
        payload = NodeUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.node_update(actor=request_actor(request), node=node, **payload.validated_data)
        return Response(NodeSerializer(node).data)


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RunSerializer

    def get_queryset(self) -> QuerySet[ClassificationRun]:
        runs = ClassificationRun.objects.visible_to(request_teams(self.request)).order_by("-created_at")
        for name in ("index", "status"):
            value = self.request.query_params.get(name)
            if value:
                runs = runs.filter(**{name: value})
        return runs

    @extend_schema(request={"application/json": RunCreateSerializer}, responses={202: RunSerializer})
    def create(self, request: Request) -> Response:
        """Classify an index (or some of its videos) against a taxonomy, in the workers; poll the run."""
        payload = RunCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        index = _index(request, data["index"])
        taxonomy = Taxonomy.objects.visible_to(request_teams(request)).filter(id=data["taxonomy"]).first()
        if taxonomy is None:
            raise NotFound(f"The taxonomy {data['taxonomy']} does not exist.")
        videos = None
        if data.get("video_ids"):
            videos = list(Video.objects.filter(id__in=data["video_ids"], index=index))
            missing = sorted(set(data["video_ids"]) - {video.id for video in videos})
            if missing:
                raise NotFound(f"The video(s) {', '.join(missing[:5])} are not in the index {index.id}.")
        run = run_services.run_create(
            actor=request_actor(request),
            taxonomy=taxonomy,
            index=index,
            options=data["options"],
            thresholds=parse_thresholds(data.get("threshold")),
            conversation_option=data["conversation_option"],
            videos=videos,
        )
        return Response(
            RunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/classification-runs/{run.id}/"},
        )


class LabelsCsvRenderer(BaseRenderer):
    """Lets `?format=csv` be negotiated. The export itself streams past the renderers (see
    `export`); what reaches this renderer is an error or the view's metadata: JSON `{code, message}`."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


def _json_lines(index: Index, rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """`{"index": ..., "labels": [...]}` a label at a time, encoded as the JSON renderer would."""

    def encode(value: Any) -> str:
        return json.dumps(value, cls=encoders.JSONEncoder, ensure_ascii=False, separators=(",", ":"))

    yield f'{{"index":{encode(index.id)},"labels":['
    for number, row in enumerate(rows):
        yield ("," if number else "") + encode(row)
    yield "]}"


INDEX = OpenApiParameter("index", str, required=True)
TAXONOMY = OpenApiParameter("taxonomy", ID_PARAM, description="only this taxonomy's labels")


class LabelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Labels of videos; `videos`, `counts` and `export` read an index as a labeled library."""

    serializer_class = LabelSerializer

    def get_queryset(self) -> QuerySet[VideoLabel]:
        labels = VideoLabel.objects.visible_to(request_teams(self.request)).select_related(
            "node", "node__taxonomy", "decided_by"
        )
        params = self.request.query_params
        if params.get("include_rejected") not in ("1", "true") and self.action == "list":
            labels = labels.visible()
        if params.get("video"):
            labels = labels.filter(video_id=params["video"])
        if params.get("index"):
            labels = labels.filter(video__index_id=params["index"])
        taxonomy = _integer(params.get("taxonomy"), "taxonomy")
        if taxonomy is not None:
            labels = labels.filter(node__taxonomy_id=taxonomy)
        node = _integer(params.get("node"), "node")
        if node is not None:
            labels = labels.filter(node__in=selectors.subtree(self._node(node)))
        return labels.order_by("video_id", "node__taxonomy__name", "node__path")

    def _node(self, node_id: int | None) -> TaxonomyNode:
        if node_id is None:
            raise NotFound("The node parameter is required.")
        node = TaxonomyNode.objects.visible_to(request_teams(self.request)).filter(pk=node_id).first()
        if node is None:
            raise NotFound(f"The taxonomy node {node_id} does not exist.")
        return node

    @extend_schema(
        parameters=[
            OpenApiParameter("video", str, description="labels of this video"),
            OpenApiParameter("index", str),
            TAXONOMY,
            OpenApiParameter("node", ID_PARAM, description="labels on this node or below it"),
            OpenApiParameter("include_rejected", bool),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=LabelCreateSerializer, responses={201: LabelSerializer})
    def create(self, request: Request) -> Response:
        """Label a video by hand (an existing label, even a rejected one, becomes confirmed)."""
        payload = LabelCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        teams = request_teams(request)
        video = Video.objects.visible_to(teams).filter(id=payload.validated_data["video"]).first()
        if video is None:
            raise NotFound(f"The video {payload.validated_data['video']} does not exist.")
        node = self._node(payload.validated_data["node"])
        label = label_services.label_add(actor=request_actor(request), video=video, node=node)
        return Response(LabelSerializer(label).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, decision: str) -> Response:
        label = self.get_object()
        actor = request_actor(request)
        if decision == "confirm":
            label = label_services.label_confirm(actor=actor, label=label)
        elif decision == "reject":
            label = label_services.label_reject(actor=actor, label=label)
        else:
            kept = label_services.label_reset(actor=actor, label=label)
            if kept is None:
                return Response(status=status.HTTP_204_NO_CONTENT)
            label = kept
        return Response(LabelSerializer(label).data)

    @extend_schema(request=None, responses={200: LabelSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        return self._decide(request, "confirm")

    @extend_schema(request=None, responses={200: LabelSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, "reject")

    @extend_schema(request=None, responses={200: LabelSerializer, 204: None})
    @action(detail=True, methods=["post"])
    def reset(self, request: Request, pk: str) -> Response:
        """Forget the editor's decision (a hand-added label without model evidence is removed)."""
        return self._decide(request, "reset")

    @extend_schema(
        parameters=[INDEX, OpenApiParameter("node", ID_PARAM, required=True, description="matches its whole subtree")],
        responses=VideoSerializer(many=True),
    )
    @action(detail=False)
    def videos(self, request: Request) -> Response:
        """Ready videos of an index labeled with a node or any node below it."""
        index = _index(request, request.query_params.get("index"))
        node = self._node(_integer(request.query_params.get("node"), "node"))
        videos = selectors.videos_labeled(index=index, node=node).order_by("-created_at", "id")
        page = self.paginate_queryset(videos)
        return self.get_paginated_response(VideoSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        parameters=[INDEX, OpenApiParameter("taxonomy", ID_PARAM, required=True)],
        responses=LabelCountSerializer(many=True),
    )
    @action(detail=False)
    def counts(self, request: Request) -> Response:
        """Per node of a taxonomy: videos of the index labeled with it directly, and anywhere in its subtree."""
        index = _index(request, request.query_params.get("index"))
        taxonomy_id = _integer(request.query_params.get("taxonomy"), "taxonomy")
        taxonomy = (
            Taxonomy.objects.visible_to(request_teams(request)).filter(pk=taxonomy_id).first() if taxonomy_id else None
        )
        if taxonomy is None:
            raise NotFound("The taxonomy does not exist.")
        return Response(LabelCountSerializer(selectors.label_counts(index=index, taxonomy=taxonomy), many=True).data)

    @extend_schema(
        parameters=[INDEX, TAXONOMY, OpenApiParameter("format", str, enum=["json", "csv"])],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=False, renderer_classes=[JSONRenderer, LabelsCsvRenderer])
    def export(self, request: Request) -> StreamingHttpResponse:
        """Every visible label of an index's videos, as JSON or CSV (`?format=csv`; clips as JSON in one column)."""
        index = _index(request, request.query_params.get("index"))
        taxonomy_id = _integer(request.query_params.get("taxonomy"), "taxonomy")
        taxonomy = None
        if taxonomy_id is not None:
            taxonomy = Taxonomy.objects.filter(id=taxonomy_id, team=index.team).first()
            if taxonomy is None:
                raise NotFound(f"The taxonomy {taxonomy_id} does not exist.")
        # Streamed a label at a time from a database iterator: an index's labels are never all in memory.
        rows = selectors.export_rows(index=index, taxonomy=taxonomy)
        extension = request.accepted_renderer.format
        if extension == "csv":
            response = StreamingHttpResponse(selectors.export_csv_lines(rows), content_type="text/csv; charset=utf-8")
        else:
            response = StreamingHttpResponse(_json_lines(index, rows), content_type="application/json")
        filename = f"labels-{index.id}{f'-{taxonomy_id}' if taxonomy_id else ''}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def register(router: BaseRouter) -> None:
    """Mount these resources on the native API's router (composed in config/api_routes.py)."""
    router.register("taxonomies", TaxonomyViewSet, basename="native-taxonomy")
    router.register("taxonomy-nodes", NodeViewSet, basename="native-taxonomy-node")
    router.register("classification-runs", RunViewSet, basename="native-classification-run")
    router.register("labels", LabelViewSet, basename="native-label")
