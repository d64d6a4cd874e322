"""Indexes in the admin: created through services, actions only enqueue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin.base import TeamScopedAdmin, rule_action
from core.rules import Actor, check
from library import services
from library.commands import LibraryCommand
from library.models import Index, Video


class IndexForm(forms.ModelForm):
    options = forms.MultipleChoiceField(
        choices=[(o, o) for o in ("visual", "conversation", "text_in_video", "logo")],
        widget=forms.CheckboxSelectMultiple,
        initial=["visual", "conversation", "text_in_video", "logo"],
    )
    generative = forms.BooleanField(required=False, initial=True, help_text="Enable titles, summaries and answers.")

    class Meta:
        model = Index
        fields = ["team", "name", "addons"]


@admin.register(Index)
class IndexAdmin(TeamScopedAdmin):
    list_display = ["name", "team", "option_list", "video_count", "created_at"]
    search_fields = ["name"]
    list_filter = ["team"]
    form = IndexForm
    actions = ["reindex_all"]  # + classify whole library (config/admin_extras.py)
    add_command = LibraryCommand.INDEX_CREATE
    change_command = LibraryCommand.INDEX_RENAME
    delete_command = LibraryCommand.INDEX_DELETE

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None:
            kwargs["form"] = forms.modelform_factory(Index, fields=["name"])
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Index, form: Any, change: bool) -> None:
        actor = self.actor(request)
        if change:
            services.index_rename(actor=actor, index=obj, name=obj.name)
            return
        engines = [{"engine_name": "marengo2.6", "engine_options": form.cleaned_data["options"]}]
        generative = [o for o in form.cleaned_data["options"] if o in ("visual", "conversation")]
        if form.cleaned_data["generative"] and generative:
            engines.append({"engine_name": "pegasus1.1", "engine_options": generative})
        created = services.index_create(
            actor=actor, team=obj.team, name=obj.name, engines=engines, addons=["thumbnail"]
        )
        obj.pk = created.pk

    @admin.display(description="Options")
    def option_list(self, index: Index) -> str:
        return ", ".join(sorted(index.options))

    @admin.display(description="Videos")
    def video_count(self, index: Index) -> int:
        return index.videos.filter(indexed_at__isnull=False).count()

    def delete_with_service(self, actor: Actor, obj: Index) -> None:
        services.index_delete(actor=actor, index=obj)

    @rule_action(LibraryCommand.VIDEO_REINDEX, description="Re-index every video of the selected indexes")
    def reindex_all(self, request: HttpRequest, queryset: QuerySet[Index]) -> None:
        actor = self.actor(request)
        indexes = list(queryset)
        # The indexes themselves are checked too: an index without ready videos is no loophole.
        for index in indexes:
            check(actor, LibraryCommand.VIDEO_REINDEX, index.team_id, what="index")
        tasks = services.videos_reindex(
            actor=actor, videos=Video.objects.filter(index__in=indexes, indexed_at__isnull=False)
        )
        self.message_user(request, f"Queued {len(tasks)} re-indexing task(s).")
