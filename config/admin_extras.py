"""Taxonomy's actions and filters on library's admin pages, attached here so that `library`
never imports `taxonomy` (the import contract in pyproject.toml checks it)."""

from __future__ import annotations

from django.contrib import admin

from library.models import Index, Video
from taxonomy.admin_actions import LabelFilter, classify_selected_videos, classify_whole_library


def attach_taxonomy_to_library_admin(site: admin.AdminSite = admin.site) -> None:
    video_admin = site._registry[Video]
    index_admin = site._registry[Index]
    if classify_selected_videos not in video_admin.actions:
        video_admin.actions = [*video_admin.actions, classify_selected_videos]
        video_admin.list_filter = [*video_admin.list_filter, LabelFilter]
    if classify_whole_library not in index_admin.actions:
        index_admin.actions = [*index_admin.actions, classify_whole_library]
