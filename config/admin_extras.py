"""Taxonomy's actions and filters on library's admin pages, attached here so that `library`
never imports `taxonomy` (the import contract in pyproject.toml checks it)."""

from __future__ import annotations

from django.contrib import admin

from library.models import Index, Video
from taxonomy.admin_actions import LabelFilter, classify_selected_videos, classify_whole_library


def attach_taxonomy_to_library_admin(site: admin.AdminSite = admin.site) -> None:
    video_admin, index_admin = site._registry[Video], site._registry[Index]
    video_actions, index_actions = list(video_admin.actions or ()), list(index_admin.actions or ())
    if classify_selected_videos not in video_actions:
        video_admin.actions = [*video_actions, classify_selected_videos]
        # An instance attribute: the admin reads it per request, the class stays taxonomy-free.
        video_admin.list_filter = [*video_admin.list_filter, LabelFilter]  # type: ignore[misc]
    if classify_whole_library not in index_actions:
        index_admin.actions = [*index_actions, classify_whole_library]
