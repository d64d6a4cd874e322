from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=&page_size=` with a hard ceiling, for the native API."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
