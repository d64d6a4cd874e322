"""`/v1.3/indexes`: indexes named by their models (`marengo3.0` visual/audio, `pegasus1.2`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from library import services
from library.api.compat.common import apply_filters, body, reject_unknown
from library.api.compat.indexes import INDEX_FILTERS  # the same filters as v1.2's index list
from library.api.v13 import schema
from library.api.v13.common import V13View, sort_and_page
from library.api.v13.options import EMBEDDING_OPTIONS, MODEL_OPTIONS, engines_for
from library.api.v13.representations import index_json
from library.selectors import indexes_for_teams


class IndexListView(V13View):
    @extend_schema(operation_id="v1.3_indexes_list", parameters=schema.INDEX_LIST, responses=schema.PAGE)
    def get(self, request: Request) -> Response:
        queryset = apply_filters(indexes_for_teams(self.teams()), request.query_params, INDEX_FILTERS)
        wanted = [o.strip() for v in request.query_params.getlist("model_options") for o in v.split(",") if o.strip()]
        if any(option not in MODEL_OPTIONS for option in wanted):
            raise ApplicationError(f"The model_options parameter must be among: {', '.join(MODEL_OPTIONS)}.")
        family = request.query_params.get("model_family")
        if family and family not in ("marengo", "pegasus"):
            raise ApplicationError("The model_family parameter must be marengo or pegasus.")
        if wanted or family:
            # Inside the engines JSON: matched in Python (portable; a team has few indexes).
            needed = [set(EMBEDDING_OPTIONS[option]) for option in wanted]
            queryset = queryset.filter(
                id__in=[
                    index.id
                    for index in queryset
                    if all(index.options & ours for ours in needed)
                    and (not family or any(name.startswith(family) for name in index.engine_names))
                ]
            )
        rows, page_info = sort_and_page(
            request, queryset, sort_fields={"created_at": "created_at", "updated_at": "updated_at"}
        )
        return Response({"data": [index_json(index) for index in rows], "page_info": page_info})

    @extend_schema(
        operation_id="v1.3_indexes_create",
        request=schema.json_body(schema.V13IndexCreateBody),
        responses={201: schema.ID_ANSWER},
    )
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, {"index_name", "models", "addons"})
        if data.get("models") is None:
            raise ApplicationError("The models parameter is required.", code="parameter_not_provided")
        index = services.index_create(
            actor=self.actor(),
            team=self.own_team(),
            name=data.get("index_name"),
            engines=engines_for(data.get("models")),
            addons=data.get("addons"),
        )
        return Response({"_id": index.id}, status=status.HTTP_201_CREATED)


class IndexDetailView(V13View):
    @extend_schema(operation_id="v1.3_indexes_retrieve", responses=schema.OBJECT)
    def get(self, request: Request, index_id: str) -> Response:
        return Response(index_json(self.get_index(index_id, with_totals=True)))

    @extend_schema(
        operation_id="v1.3_indexes_update", request=schema.json_body(schema.IndexRenameBody), responses={204: None}
    )
    def put(self, request: Request, index_id: str) -> Response:
        index = self.get_index(index_id)
        data = body(request)
        reject_unknown(data, {"index_name"})
        services.index_rename(actor=self.actor(), index=index, name=data.get("index_name"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="v1.3_indexes_delete", responses={204: None})
    def delete(self, request: Request, index_id: str) -> Response:
        services.index_delete(actor=self.actor(), index=self.get_index(index_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
