"""`/tasks`: uploads by file or URL, their status, progress and ETA."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
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
    required,
    sort_and_page,
)
from library.api.compat.representations import task_json
from library.models import Task, TaskStatus
from library.selectors import task_counts

TASK_FILTERS = {
    "_id": ("id", "str"),
    "index_id": ("index_id", "str"),
    "filename": ("filename", "str"),
    "status": ("status", "str"),
    "duration": ("duration", "float"),
    "width": ("width", "int"),
    "height": ("height", "int"),
    "created_at": ("created_at", "datetime"),
    "updated_at": ("updated_at", "datetime"),
}


def _video_url(request: Request) -> str:
    """`video_url` arrives as a form field (requests, curl) or as a file part (the SDK)."""
    value = request.data.get("video_url") if isinstance(request.data, dict) else None
    if isinstance(value, UploadedFile):
        return value.read(4096).decode("utf-8", "replace").strip()
    part = request.FILES.get("video_url")
    if part is not None:
        return part.read(4096).decode("utf-8", "replace").strip()
    return (value or "").strip() if isinstance(value, str) else ""


class TaskListView(CompatView):
    @extend_schema(operation_id="v1.2_tasks_list", parameters=schema.TASK_LIST, responses=schema.PAGE)
    def get(self, request: Request) -> Response:
        queryset: QuerySet[Task] = Task.objects.visible_to(self.teams()).select_related("index", "video")
        status_filter = request.query_params.getlist("status")
        if any(value not in TaskStatus.values for value in status_filter):
            raise ApplicationError(f"The status parameter must be one of: {', '.join(TaskStatus.values)}.")
        params = request.query_params.copy()
        params.pop("status", None)
        queryset = apply_filters(queryset, params, TASK_FILTERS)
        if status_filter:
            queryset = queryset.filter(status__in=status_filter)
        rows, page_info = sort_and_page(
            request, queryset, sort_fields={"created_at": "created_at", "updated_at": "updated_at"}
        )
        return Response({"data": [task_json(task, request) for task in rows], "page_info": page_info})

    @extend_schema(
        request={"multipart/form-data": schema.TaskUploadBody, "application/json": schema.TaskUrlBody},
        responses={201: schema.ID_ANSWER},
        description="Upload a video_file (multipart), or name a video_url (JSON or a form field).",
    )
    def post(self, request: Request) -> Response:
        data = body(request)
        index = self.get_index(required(data, "index_id"))
        language = data.get("language") or ""
        upload = request.FILES.get("video_file")
        url = _video_url(request)
        if upload is None and not url:
            raise ApplicationError("Provide the video as video_file or video_url.", code="parameter_not_provided")
        if upload is not None:
            task = services.task_create_from_file(
                actor=self.actor(), index=index, content=upload, filename=upload.name or "video", language=language
            )
        else:
            task = services.task_create_from_url(actor=self.actor(), index=index, url=url, language=language)
        return Response({"_id": task.id, "video_id": None}, status=status.HTTP_201_CREATED)


class ExternalProviderView(CompatView):
    @extend_schema(request=schema.json_body(schema.ExternalProviderBody), responses={201: schema.ID_ANSWER})
    def post(self, request: Request) -> Response:
        data = body(request)
        index = self.get_index(required(data, "index_id"))
        url = required(data, "url")
        if not isinstance(url, str):
            raise ApplicationError("The url parameter must be a string.")
        task = services.task_create_from_url(actor=self.actor(), index=index, url=url.strip())
        return Response({"_id": task.id}, status=status.HTTP_201_CREATED)


class TaskDetailView(CompatView):
    @extend_schema(responses=schema.OBJECT)
    def get(self, request: Request, task_id: str) -> Response:
        return Response(task_json(self.get_task(task_id), request))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, task_id: str) -> Response:
        services.task_delete(actor=self.actor(), task=self.get_task(task_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskStatusView(CompatView):
    @extend_schema(parameters=[OpenApiParameter("index_id", str, required=True)], responses=schema.OBJECT)
    def get(self, request: Request) -> Response:
        index_id = request.query_params.get("index_id")
        if not index_id:
            raise ApplicationError("The index_id parameter is required.", code="parameter_not_provided")
        counts = task_counts(self.get_index(index_id))
        return Response({"index_id": index_id, **counts, "total_result": sum(counts.values())})
