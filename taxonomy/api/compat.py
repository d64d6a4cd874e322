"""`/classify`, `/classify/bulk` and their page tokens (filled by the classification issue)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
