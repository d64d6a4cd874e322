"""Admin base class: the rule table (core/rules.py) decides every view and action.

* Rows, list filters and foreign-key choices are limited to the user's teams.
* Add, change and delete views ask the table for the admin's `add_command`,
  `change_command` and `delete_command` (None: nobody, the view is read-only).
* Actions carry their command (`rule_action`); an action the user's role does not allow
  is not offered, and posting it anyway answers 403. Each action runs in one
  transaction, so a refusal halfway through a selection changes nothing.
* Another team's ids answer 404, as on the APIs and the pages.
* Deletes go through the admin's `delete_with_service`, so files are removed and
  search caches invalidated exactly as the API's deletes do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from core.errors import ApplicationError, Forbidden, NotFound
from core.models import Team
from core.rules import Actor, actor_for_request, may, may_somewhere
from core.scoping import team_path, visible

# Refusals propagate (403 / 404 pages); other service errors become messages.
REFUSALS = (Forbidden, NotFound)


def rule_action(command: str, *, description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An admin action that runs `command` (the menu offers it only to roles the table allows)."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function.command = command  # type: ignore[attr-defined]
        return admin.action(description=description)(function)

    return decorate


class TeamScopedAdmin(admin.ModelAdmin):
    """An admin of a team-owned model: the rows, choices and actions of the actor's teams only (the
    model's `team_path` says where its team is: core/scoping.py)."""

    add_command: str | None = None
    change_command: str | None = None
    delete_command: str | None = None

    # --- who ---------------------------------------------------------------------------

    def actor(self, request: HttpRequest) -> Actor:
        return actor_for_request(request)

    def team_id_of(self, obj: Any) -> int:
        for part in team_path(self.model).split("__"):
            obj = getattr(obj, part)
        return int(obj.pk)

    def _allowed(self, request: HttpRequest, command: str | None, obj: Any = None) -> bool:
        if command is None:
            return False
        actor = self.actor(request)
        return may(actor, command, self.team_id_of(obj)) if obj is not None else may_somewhere(actor, command)

    # --- what they see -------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        actor = self.actor(request)
        if actor.is_operator:
            return queryset
        return visible(queryset, actor)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.actor(request).teams().exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, self.add_command)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, self.change_command, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, self.delete_command, obj)

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> HttpResponse:
        # Django redirects with "does not exist"; another team's id is a plain 404 here, as everywhere.
        raise Http404(f"No {opts.verbose_name} {object_id}.")

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Relation filters list only what the user's own rows point at, never other teams' names."""
        return [self._scoped_filter(spec) for spec in super().get_list_filter(request)]

    def _scoped_filter(self, spec: Any) -> Any:
        if isinstance(spec, str) and get_fields_from_path(self.model, spec)[-1].is_relation:
            return (spec, admin.RelatedOnlyFieldListFilter)
        return spec

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Choices (and raw-id values) from the user's teams only: teams where they may add, their rows, their users."""
        actor = self.actor(request)
        related = db_field.related_model
        if related is Team:
            kwargs["queryset"] = actor.teams_allowing(self.add_command) if self.add_command else actor.teams()
        elif related is get_user_model():
            kwargs["queryset"] = get_user_model().objects.filter(memberships__team__in=actor.teams()).distinct()
        else:
            related_admin = self.admin_site._registry.get(related)
            if isinstance(related_admin, TeamScopedAdmin) and not actor.is_operator:
                kwargs["queryset"] = visible(related._default_manager.all(), actor)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- actions -------------------------------------------------------------------------

    def _action_command(self, name: str, function: Any) -> str | None:
        if name == "delete_selected":
            return self.delete_command
        return getattr(function, "command", None)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        return {
            name: entry
            for name, entry in actions.items()
            if entry is not None and self._allowed(request, self._action_command(name, entry[0]))
        }

    def _refuse_forbidden_action(self, request: HttpRequest) -> None:
        name = request.POST.get("action", "")
        # Django's own list of the admin's actions before its permission filter (a private helper).
        known = {action_name for _, action_name, _ in self._get_base_actions()}  # type: ignore[attr-defined]
        if name in known and name not in self.get_actions(request):
            raise PermissionDenied(f"Your role does not allow {name}.")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Django ignores a posted action it does not offer (and offers none to a viewer): refuse it.
        if request.method == "POST" and "action" in request.POST:
            self._refuse_forbidden_action(request)
        return super().changelist_view(request, extra_context)

    # The installed Django's signature (the stubs describe a later one with `action_location`).
    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:  # type: ignore[override]
        self._refuse_forbidden_action(request)
        selected = set(request.POST.getlist(ACTION_CHECKBOX_NAME))
        across = request.POST.get("select_across") == "1"
        if selected and not across and queryset.filter(pk__in=selected).count() < len(selected):
            raise Http404("Some of the selected rows do not exist.")
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except REFUSALS:
            raise
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # A service refuses what a form let through (a name taken, a receiver that stopped
        # resolving): Django's change view rolls its transaction back; say why, never a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except REFUSALS:
            raise
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- deletes through the services ------------------------------------------------------

    def delete_with_service(self, actor: Actor, obj: Any) -> None:
        raise PermissionDenied(f"{self.model._meta.verbose_name} rows are not deleted here.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_queryset(request, [obj])  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = self.actor(request)
        try:
            with transaction.atomic():
                for obj in queryset:
                    self.delete_with_service(actor, obj)
        except REFUSALS:
            raise
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # What goes with an object is the model's cascade, carried out by the service; the
        # rule table decides the delete itself, not each related row's own admin.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected
