"""The native API: the same library, for session users and keys, with an OpenAPI schema."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.auth import request_actor, request_teams
from core.errors import ApplicationError, Forbidden
from core.models import Team
from library import services
from library.api.native.serializers import (
    IndexCreateSerializer,
    IndexSerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TaskUploadSerializer,
    TaskUrlSerializer,
    VideoExtractionSerializer,
    VideoSerializer,
)
from library.api.transcription import JsonWhateverTheFormat, transcription_response
from library.models import Task, Video
from library.selectors import indexes_for_teams


def request_team(request: Request, wanted: str | None) -> Team:
    """The team a new object goes to: the one named, or the caller's only team."""
    teams = request_teams(request)
    if not teams:
        raise Forbidden("You are not a member of any team.")
    candidates = [team for team in teams if wanted in (None, team.name)]
    if len(candidates) != 1:
        raise ApplicationError(
            "Name the team (you belong to several, or that team is not yours).", code="team_ambiguous"
        )
    return candidates[0]


class IndexViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = IndexSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return indexes_for_teams(request_teams(self.request)).order_by("-created_at")

    @extend_schema(request={"application/json": IndexCreateSerializer}, responses={201: IndexSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = IndexCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        index = services.index_create(
            actor=request_actor(request),
            team=request_team(request, payload.validated_data.get("team")),
            name=payload.validated_data["name"],
            engines=payload.validated_data["engines"],
            addons=payload.validated_data.get("addons"),
        )
        return Response(IndexSerializer(self.get_queryset().get(id=index.id)).data, status=status.HTTP_201_CREATED)


class VideoViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VideoSerializer

    def get_queryset(self) -> QuerySet[Video]:
        queryset = Video.objects.visible_to(request_teams(self.request)).order_by("-created_at")
        index = self.request.query_params.get("index")
        return queryset.filter(index_id=index) if index else queryset

    @extend_schema(responses=VideoExtractionSerializer)
    @action(detail=True)
    def extraction(self, request: Request, pk: str) -> Response:
        """Transcript, on-screen texts, logos, visual concepts (objects and scenes), shots, thumbnails,
        skipped options and the visual model of a video."""
        return Response(VideoExtractionSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["json", "srt", "vtt"], description="json or a subtitle file"),
            OpenApiParameter("language", str, description="spoken (default) or en (translation)"),
            OpenApiParameter("start", float), OpenApiParameter("end", float),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    @action(detail=True, content_negotiation_class=JsonWhateverTheFormat)
    def transcription(self, request: Request, pk: str) -> HttpResponse:
        """The transcript (`{data, language, translated}`), its English translation, or SRT/WebVTT subtitles."""
        return transcription_response(self.get_object(), request)

    @extend_schema(request=None, responses={202: TaskSerializer})
    @action(detail=True, methods=["post"])
    def reindex(self, request: Request, pk: str) -> Response:
        task = services.video_reindex(actor=request_actor(request), video=self.get_object())
        return Response(
            TaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/tasks/{task.id}/"},
        )


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        queryset = Task.objects.visible_to(request_teams(self.request)).order_by("-created_at")
        for param in ("index", "status"):
            value = self.request.query_params.get(param)
            if value:
                queryset = queryset.filter(**{param: value})
        return queryset

    @extend_schema(
        request={"multipart/form-data": TaskUploadSerializer, "application/json": TaskUrlSerializer},
        responses={202: TaskSerializer},
    )
    def create(self, request: Request) -> Response:
        payload = TaskCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        index = indexes_for_teams(request_teams(request)).filter(id=payload.validated_data["index"]).first()
        if index is None:
            raise ApplicationError("No such index.", code="resource_not_exist", status=404)
        actor = request_actor(request)
        language = payload.validated_data.get("language", "")
        upload = payload.validated_data.get("video_file")
        if upload is not None:
            task = services.task_create_from_file(
                actor=actor, index=index, content=upload, filename=upload.name, language=language
            )
        else:
            task = services.task_create_from_url(
                actor=actor, index=index, url=payload.validated_data["video_url"], language=language
            )
        return Response(
            TaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/tasks/{task.id}/"},
        )

    @extend_schema(request=None, responses={202: TaskSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        task = services.task_retry(actor=request_actor(request), task=self.get_object())
        return Response(TaskSerializer(task).data, status=status.HTTP_202_ACCEPTED)
