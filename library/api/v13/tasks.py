"""`/v1.3/tasks`: the one-step upload (multipart `video_file` or `video_url`) of the v1.2 surface.

The same services, rules and job lifecycle as `/v1.2/tasks`; v1.3 adds `user_metadata` (a JSON
string the video starts with) and `system_metadata` on the task object.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from library import services
from library.api.compat import tasks as compat
from library.api.compat.common import body, required
from library.api.v13 import schema
from library.api.v13.common import V13View, form_json, form_text
from library.api.v13.representations import v13_task_json


def _v13(payload: Any) -> Any:
    if isinstance(payload, dict) and "metadata" in payload:
        payload["system_metadata"] = payload["metadata"]
    return payload


class TaskListView(compat.TaskListView, V13View):
    @extend_schema(operation_id="v1.3_tasks_list", parameters=schema.TASK_LIST, responses=schema.PAGE)
    def get(self, request: Request) -> Response:
        response = super().get(request)
        for item in response.data["data"]:
            _v13(item)
        return response

    @extend_schema(
        operation_id="v1.3_tasks_create",
        request={"multipart/form-data": schema.V13TaskFileBody, "application/json": schema.V13TaskUrlBody},
        responses={201: schema.ID_ANSWER},
    )
    def post(self, request: Request) -> Response:
        index = self.get_index(required(body(request), "index_id"))
        metadata = form_json(request, "user_metadata")
        upload = request.FILES.get("video_file")
        url = form_text(request, "video_url", limit=2000)
        if upload is None and not url:
            raise ApplicationError("Provide the video as video_file or video_url.", code="parameter_not_provided")
        if upload is not None:
            if upload.size == 0:
                raise ApplicationError("The uploaded video_file is empty.", code="video_file_broken")
            task = services.task_create_from_file(
                actor=self.actor(), index=index, content=upload, filename=upload.name or "video", user_metadata=metadata
            )
        else:
            task = services.task_create_from_url(actor=self.actor(), index=index, url=url, user_metadata=metadata)
        return Response({"_id": task.id, "video_id": None}, status=status.HTTP_201_CREATED)


class TaskDetailView(V13View):
    @extend_schema(operation_id="v1.3_tasks_retrieve", responses=schema.OBJECT)
    def get(self, request: Request, task_id: str) -> Response:
        return Response(v13_task_json(self.get_task(task_id), request))

    @extend_schema(operation_id="v1.3_tasks_delete", responses={204: None})
    def delete(self, request: Request, task_id: str) -> Response:
        services.task_delete(actor=self.actor(), task=self.get_task(task_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
