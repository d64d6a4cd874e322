"""`/search`, `/search-v2`, `/search/combined` and their page tokens (filled by the search issue)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
