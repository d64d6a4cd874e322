"""Video labels in the admin: editors confirm, reject or add them through taxonomy/label_services.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.admin.base import REFUSALS, TeamScopedAdmin, rule_action
from core.errors import ApplicationError
from taxonomy import label_services
from taxonomy.commands import TaxonomyCommand
from taxonomy.models import VideoLabel

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups  # the stubs' name for fields/fieldsets values


class LabelAddForm(forms.ModelForm):
    class Meta:
        model = VideoLabel
        fields = ["video", "node"]


@admin.register(VideoLabel)
class VideoLabelAdmin(TeamScopedAdmin):
    list_display = ["video", "node", "origin", "decision", "score", "duration_ratio", "clip_count", "run", "updated_at"]
    list_filter = ["decision", "origin", "node__taxonomy", "video__index", "node__depth"]
    search_fields = ["video__filename", "node__name", "node__code"]
    list_select_related = ["video", "node", "node__taxonomy", "run"]
    raw_id_fields = ["video", "node"]
    actions = ["confirm", "reject", "reset"]
    add_command = TaxonomyCommand.LABEL_ADD

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = LabelAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        if obj is None:
            return ["video", "node"]
        return [
            "video", "node", "origin", "decision", "decided_by", "decided_at", "score", "duration_ratio",
            "max_score", "avg_score", "normalized_score", "clip_list", "run", "updated_at",
        ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*map(str, self.get_fields(request, obj)), "clip_list"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: VideoLabel, form: Any, change: bool) -> None:
        if not change:
            try:
                obj.pk = label_services.label_add(actor=self.actor(request), video=obj.video, node=obj.node).pk
            except REFUSALS:
                raise
            except ApplicationError as error:
                self.message_user(request, error.message, level="error")

    @admin.display(description="Clips")
    def clip_count(self, label: VideoLabel) -> int:
        return len(label.clips)

    @admin.display(description="Evidence")
    def clip_list(self, label: VideoLabel) -> SafeString:
        if not label.clips:
            return format_html("{}", "none (confirmed or added by an editor)" if label.is_editor_decided else "none")
        return format_html_join(
            "",
            "<div>{}–{} s · {} · “{}” · {}</div>",
            (
                (f"{c['start']:.1f}", f"{c['end']:.1f}", c["option"], c["prompt"], f"{c['score']:.1f}")
                for c in label.clips
            ),
        )

    @rule_action(TaxonomyCommand.LABEL_CONFIRM, description="Confirm selected labels")
    def confirm(self, request: HttpRequest, queryset: QuerySet[VideoLabel]) -> None:
        actor = self.actor(request)
        for label in queryset:
            label_services.label_confirm(actor=actor, label=label)
        self.message_user(request, f"Confirmed {queryset.count()} label(s); re-runs keep them.")

    @rule_action(TaxonomyCommand.LABEL_REJECT, description="Reject selected labels")
    def reject(self, request: HttpRequest, queryset: QuerySet[VideoLabel]) -> None:
        actor = self.actor(request)
        for label in queryset:
            label_services.label_reject(actor=actor, label=label)
        self.message_user(request, f"Rejected {queryset.count()} label(s); re-runs will not bring them back.")

    @rule_action(TaxonomyCommand.LABEL_RESET, description="Forget the decision on selected labels")
    def reset(self, request: HttpRequest, queryset: QuerySet[VideoLabel]) -> None:
        actor = self.actor(request)
        for label in queryset:
            label_services.label_reset(actor=actor, label=label)
