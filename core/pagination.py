from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.errors import ApplicationError


class PagePagination(PageNumberPagination):
    """`?page=&page_size=` with a hard ceiling, for the native API.

    A page past the last one is an empty page (as on /v1.2), not a 404: the count
    tells the client where the data ends, and a list it was paging through may have
    shrunk meanwhile. A page that is not a positive integer is a 400.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return super().paginate_queryset(queryset, request, view)
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
            raise ApplicationError("The page parameter must be a positive integer.")
        paginator = self.django_paginator_class(queryset, page_size)
        number = int(raw)
        self.request = request
        if number <= paginator.num_pages:
            self.page = paginator.page(number)
        else:
            self.page = Page([], number, paginator)
        return list(self.page)

    def get_previous_link(self) -> str | None:
        if self.page is None or self.request is None:
            return None
        last = self.page.paginator.num_pages
        if self.page.number <= last:
            return super().get_previous_link()
        # Beyond the end, "previous" is the last page that has rows.
        url = self.request.build_absolute_uri()
        if last == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, last)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {**parameter.get("schema", {}), "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
