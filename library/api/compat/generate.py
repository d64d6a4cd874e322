"""`/gist`, `/summarize`, `/generate` (filled by the generation issue)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
