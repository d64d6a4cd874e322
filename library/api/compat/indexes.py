"""`/indexes` and `/engines`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError, NotFound
from engines.base import ENGINE_OPTIONS
from library import services
from library.api.compat import schema
from library.api.compat.common import (
    CompatView,
    apply_filters,
    body,
    reject_unknown,
    sort_and_page,
)
from library.api.compat.representations import index_json
from library.models.indexes import V12_EMBEDDING_ENGINES as EMBEDDING_ENGINES
from library.models.indexes import V12_ENGINE_NAMES as ENGINE_NAMES
from library.selectors import indexes_for_teams

INDEX_FILTERS = {
    "_id": ("id", "str"),
    "index_name": ("name", "str"),
    "created_at": ("created_at", "datetime"),
    "updated_at": ("updated_at", "datetime"),
}


class IndexListView(CompatView):
    @extend_schema(operation_id="v1.2_indexes_list", parameters=schema.INDEX_LIST, responses=schema.PAGE)
    def get(self, request: Request) -> Response:
        queryset = apply_filters(indexes_for_teams(self.teams()), request.query_params, INDEX_FILTERS)
        wanted_options = request.query_params.getlist("engine_options")
        family = request.query_params.get("engine_family")
        if family and family not in ("marengo", "pegasus"):
            raise ApplicationError("The engine_family parameter must be marengo or pegasus.")
        if wanted_options or family:
            # These look inside the engines JSON; matching in Python stays portable across
            # SQLite and PostgreSQL, and a team has few indexes.
            queryset = queryset.filter(
                id__in=[
                    index.id
                    for index in queryset
                    if set(wanted_options) <= index.options
                    and (not family or any(name.startswith(family) for name in index.engine_names))
                ]
            )
        rows, page_info = sort_and_page(
            request, queryset, sort_fields={"created_at": "created_at", "updated_at": "updated_at"}
        )
        return Response({"data": [index_json(index) for index in rows], "page_info": page_info})

    @extend_schema(request=schema.json_body(schema.IndexCreateBody), responses={201: schema.ID_ANSWER})
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, {"index_name", "engines", "addons", "engine_id", "index_options"})
        engines: Any = data.get("engines")
        if engines is None and data.get("engine_id") is not None:
            # The v1.1 body: one engine and its options.
            engines = [{"engine_name": data.get("engine_id"), "engine_options": data.get("index_options")}]
        if engines is None:
            raise ApplicationError("The engines parameter is required.", code="parameter_not_provided")
        index = services.index_create(
            actor=self.actor(),
            team=self.own_team(),
            name=data.get("index_name"),
            engines=engines,
            addons=data.get("addons"),
        )
        return Response({"_id": index.id}, status=status.HTTP_201_CREATED)


class IndexDetailView(CompatView):
    @extend_schema(responses=schema.OBJECT)
    def get(self, request: Request, index_id: str) -> Response:
        return Response(index_json(self.get_index(index_id, with_totals=True)))

    @extend_schema(request=schema.json_body(schema.IndexRenameBody), responses={204: None})
    def put(self, request: Request, index_id: str) -> Response:
        index = self.get_index(index_id)
        data = body(request)
        reject_unknown(data, {"index_name"})
        services.index_rename(actor=self.actor(), index=index, name=data.get("index_name"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, index_id: str) -> Response:
        services.index_delete(actor=self.actor(), index=self.get_index(index_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def engine_json(name: str) -> dict[str, Any]:
    options = list(ENGINE_OPTIONS) if name in EMBEDDING_ENGINES else ["visual", "conversation"]
    return {
        "_id": name,
        "engine_name": name,
        "author": "framewise",
        "allowed_engine_options": options,
        "ready": True,
        "finetune": False,
        "type": "embedding" if name in EMBEDDING_ENGINES else "generative",
        "description": (
            "Local search and classification engine (speech, on-screen text, logos, visual)."
            if name in EMBEDDING_ENGINES
            else "Local generation engine (titles, summaries, chapters, answers)."
        ),
        "created_at": "2024-01-01T00:00:00.000Z",
        "updated_at": "2024-01-01T00:00:00.000Z",
    }


class EngineListView(CompatView):
    @extend_schema(operation_id="v1.2_engines_list", responses=schema.PAGE)
    def get(self, request: Request) -> Response:
        data = [engine_json(name) for name in ENGINE_NAMES]
        return Response(
            {
                "data": data,
                "page_info": {"limit_per_page": len(data), "page": 1, "total_page": 1, "total_results": len(data)},
            }
        )


class EngineDetailView(CompatView):
    @extend_schema(
        parameters=[OpenApiParameter("engine_id", str, OpenApiParameter.PATH, enum=list(ENGINE_NAMES))],
        responses=schema.OBJECT,
    )
    def get(self, request: Request, engine_id: str) -> Response:
        if engine_id not in ENGINE_NAMES:
            raise NotFound(f"The engine {engine_id} does not exist; use one of {', '.join(ENGINE_NAMES)}.")
        return Response(engine_json(engine_id))
