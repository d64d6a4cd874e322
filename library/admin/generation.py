"""Generated texts in the video admin: what was generated, and the action that queues more."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin.base import rule_action
from core.rules import actor_for_request
from library.commands import LibraryCommand
from library.generation.jobs import videos_generate_metadata
from library.models import GeneratedText, Video


class GeneratedTextInline(admin.StackedInline):
    model = GeneratedText
    extra = 0
    max_num = 0
    can_delete = False
    fields = readonly_fields = ("kind", "status", "text", "prompt", "provider", "error_message", "generated_at")
    ordering = ["kind", "-created_at"]
    verbose_name = "generated text"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may see the video (the video admin scopes it to their teams) sees its texts.
        return request.user.is_active and (request.user.is_superuser or request.user.memberships.exists())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@rule_action(LibraryCommand.GENERATE, description="Generate title, hashtags and summary")
def generate_title_hashtags_summary(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Video]) -> None:
    result = videos_generate_metadata(actor=actor_for_request(request), videos=queryset.select_related("index"))
    parts = [f"Queued {result.queued} generation(s)."]
    if result.stored:
        parts.append(f"{result.stored} were already generated and kept.")
    if result.skipped:
        parts.append(f"Skipped {result.skipped} video(s): not indexed yet, or in an index without a generative engine.")
    modeladmin.message_user(request, " ".join(parts), messages.WARNING if result.skipped else messages.SUCCESS)
