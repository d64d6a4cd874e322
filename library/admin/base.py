"""Admin base class: every editor sees only the rows of their own teams."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from library import accounts
from library.models import Index, Team


class TeamScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Non-superusers see and edit only rows of their own teams."""

    team_path = "team"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.team_path}__memberships__user": request.user}).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and (request.user.is_superuser or request.user.memberships.exists())

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return request.user.memberships.filter(role__in=["owner", "editor"]).exists()
        return accounts.user_can_edit(user=request.user, team=self._team_of(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def _team_of(self, obj: Any) -> Team:
        for part in self.team_path.split("__"):
            obj = getattr(obj, part)
        return obj  # type: ignore[no-any-return]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            if db_field.related_model is Team:
                kwargs["queryset"] = accounts.teams_for_user(request.user)
            elif db_field.related_model is Index:
                kwargs["queryset"] = Index.objects.filter(team__memberships__user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
