"""The native API: the same library, for session users and keys, with an OpenAPI schema."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import ApplicationError
from library import services
from library.accounts import user_can_edit
from library.api.auth import request_teams
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
from library.models import ApiKey, Task, Team, Video
from library.selectors import indexes_for_teams


def _require_edit(request: Request, team: Team) -> None:
    if isinstance(request.auth, ApiKey):
        return  # a key acts for its team with its creator's rights, checked at creation
    if not user_can_edit(user=request.user, team=team):
        raise ApplicationError("Viewers cannot change the library.", code="forbidden", status=403)


class IndexViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = IndexSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return indexes_for_teams(request_teams(self.request)).order_by("-created_at")

    @extend_schema(request={"application/json": IndexCreateSerializer}, responses={201: IndexSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = IndexCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        teams = request_teams(request)
        wanted = payload.validated_data.get("team")
        candidates = [team for team in teams if wanted in (None, team.name)]
        if len(candidates) != 1:
            raise ApplicationError(
                "Name the team (you belong to several, or that team is not yours).", code="team_ambiguous"
            )
        _require_edit(request, candidates[0])
        index = services.index_create(
            team=candidates[0],
            name=payload.validated_data["name"],
            engines=payload.validated_data["engines"],
            addons=payload.validated_data.get("addons"),
        )
        return Response(IndexSerializer(self.get_queryset().get(id=index.id)).data, status=status.HTTP_201_CREATED)


class VideoViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = VideoSerializer

    def get_queryset(self) -> QuerySet[Video]:
        queryset = Video.objects.filter(index__team__in=request_teams(self.request)).order_by("-created_at")
        index = self.request.query_params.get("index")
        return queryset.filter(index_id=index) if index else queryset

    @extend_schema(responses=VideoExtractionSerializer)
    @action(detail=True)
    def extraction(self, request: Request, pk: str) -> Response:
        """Transcript, on-screen texts, logos, shots, thumbnails and skipped options of a video."""
        return Response(VideoExtractionSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(request=None, responses={202: TaskSerializer})
    @action(detail=True, methods=["post"])
    def reindex(self, request: Request, pk: str) -> Response:
        video = self.get_object()
        _require_edit(request, video.index.team)
        task = services.video_reindex(video=video, user=request.user)
        return Response(
            TaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/tasks/{task.id}/"},
        )


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        queryset = Task.objects.filter(index__team__in=request_teams(self.request)).order_by("-created_at")
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
        _require_edit(request, index.team)
        language = payload.validated_data.get("language", "")
        upload = payload.validated_data.get("video_file")
        if upload is not None:
            task = services.task_create_from_file(
                index=index, content=upload, filename=upload.name, language=language, user=request.user
            )
        else:
            task = services.task_create_from_url(
                index=index, url=payload.validated_data["video_url"], language=language, user=request.user
            )
        return Response(
            TaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/tasks/{task.id}/"},
        )

    @extend_schema(request=None, responses={202: TaskSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        _require_edit(request, task.index.team)
        return Response(TaskSerializer(services.task_retry(task=task)).data, status=status.HTTP_202_ACCEPTED)
