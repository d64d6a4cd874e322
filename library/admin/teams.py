"""Teams, memberships and API keys in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from library import accounts
from library.admin.base import TeamScopedAdmin
from library.models import ApiKey, Membership, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]


@admin.register(ApiKey)
class ApiKeyAdmin(TeamScopedAdmin):
    list_display = ["prefix", "name", "team", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["team", "user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = accounts.api_key_create(team=obj.team, user=obj.user, name=obj.name)
        obj.pk = key.pk
        # Shown once: only the hash is stored.
        messages.warning(request, f"New API key (copy it now, it is not shown again): {raw}")

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            accounts.api_key_revoke(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
