"""Teams, memberships and API keys in the admin.

Teams are the operator's (superusers; `manage.py create_team`). Owners manage their
teams' members and keys here; editors and viewers see them read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from core import accounts
from core.admin.base import TeamScopedAdmin, rule_action
from core.models import ApiKey, Membership, Team
from core.rules import Actor, Command

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups  # the stubs' name for fields/fieldsets values


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Superusers only (Django's own model permissions): teams are created and deleted by the operator."""

    list_display = ["name", "created_at"]
    search_fields = ["name"]


class MembershipAddForm(forms.ModelForm):
    # A username, not a list of every user of the site: owners must not browse other teams' people.
    username = forms.CharField(help_text="The user to add (they need an account on this site).")

    class Meta:
        model = Membership
        fields = ["team", "role"]

    def clean_username(self) -> Any:
        user = get_user_model().objects.filter(username=self.cleaned_data["username"], is_active=True).first()
        if user is None:
            raise forms.ValidationError("No active user with this name.")
        self.instance.user = user  # the unique (team, user) check runs on the instance
        return user


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    add_command = Command.MEMBERSHIP_ADD
    change_command = Command.MEMBERSHIP_CHANGE
    delete_command = Command.MEMBERSHIP_REMOVE

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = MembershipAddForm if obj is None else forms.modelform_factory(Membership, fields=["role"])
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        return ["team", "username", "role"] if obj is None else ["team", "user", "role"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["team", "user"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        actor = self.actor(request)
        if change:
            saved = accounts.membership_change(actor=actor, membership=obj, role=form.cleaned_data["role"])
        else:
            saved = accounts.membership_set(
                actor=actor, team=obj.team, user=form.cleaned_data["username"], role=form.cleaned_data["role"]
            )
        obj.pk = saved.pk

    def delete_with_service(self, actor: Actor, obj: Membership) -> None:
        accounts.membership_remove(actor=actor, membership=obj)


@admin.register(ApiKey)
class ApiKeyAdmin(TeamScopedAdmin):
    """Owners create and revoke keys; a key always acts with its user's current role."""

    list_display = ["prefix", "name", "team", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["team", "user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]
    add_command = Command.API_KEY_CREATE

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            owned = self.actor(request).teams_allowing(Command.API_KEY_CREATE)
            kwargs["queryset"] = get_user_model().objects.filter(memberships__team__in=owned).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        key, raw = accounts.api_key_create(actor=self.actor(request), team=obj.team, user=obj.user, name=obj.name)
        obj.pk = key.pk
        # Shown once: only the hash is stored.
        messages.warning(request, f"New API key (copy it now, it is not shown again): {raw}")

    @rule_action(Command.API_KEY_REVOKE, description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        actor = self.actor(request)
        keys = list(queryset)
        for key in keys:
            accounts.api_key_revoke(actor=actor, key=key)
        self.message_user(request, f"Revoked {len(keys)} key(s).")
