"""Taxonomies, nodes, classification runs and labels in the editors' admin.

Every change goes through the same commands as the API's: taxonomy.services (taxonomies,
classes, prompts), taxonomy.iab_import (a TSV) and taxonomy.run_services (a run: a job row the
workers pick up). Confirming, rejecting and adding labels is in taxonomy/admin_labels.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.admin.base import REFUSALS, TeamScopedAdmin, rule_action
from core.errors import ApplicationError
from core.models import Team
from core.rules import Actor, actor_for_request
from library.models import Index, Video
from taxonomy import iab_import, run_services, services
from taxonomy.admin_actions import SELECTION_KEY
from taxonomy.commands import TaxonomyCommand
from taxonomy.iab import guess_version
from taxonomy.models import CLASSIFY_OPTIONS, ClassificationRun, Taxonomy, TaxonomyNode
from taxonomy.scoring import Thresholds

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups  # the stubs' name for fields/fieldsets values


def _teams_allowing(request: HttpRequest, command: str) -> QuerySet[Team]:
    return actor_for_request(request).teams_allowing(command)


def _form_page(
    request: HttpRequest, admin_: admin.ModelAdmin, form: forms.Form, title: str, intro: str
) -> HttpResponse:
    context = {
        **admin_.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "opts": admin_.model._meta,
        "has_view_permission": True,
    }
    return TemplateResponse(request, "admin/taxonomy/form.html", context)


class ImportForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    file = forms.FileField(help_text="An IAB Tech Lab Content Taxonomy TSV, e.g. 'Content Taxonomy 3.1.tsv'.")
    name = forms.CharField(required=False, help_text="Default: 'IAB Content Taxonomy <version>'. Same name: update.")


@admin.register(Taxonomy)
class TaxonomyAdmin(TeamScopedAdmin):
    list_display = ["name", "team", "source", "version", "node_count", "nodes_link", "updated_at"]
    list_filter = ["source", "team"]
    search_fields = ["name"]
    fields = ["team", "name", "source", "version", "description"]
    change_list_template = "admin/taxonomy/taxonomy/change_list.html"
    add_command = TaxonomyCommand.TAXONOMY_CREATE
    change_command = TaxonomyCommand.TAXONOMY_EDIT
    delete_command = TaxonomyCommand.TAXONOMY_DELETE

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A taxonomy never moves to another team: its labels and runs belong to that team's videos.
        return ["source", "version", "team"] if obj is not None else ["source", "version"]

    def save_model(self, request: HttpRequest, obj: Taxonomy, form: Any, change: bool) -> None:
        actor = self.actor(request)
        if change:
            services.taxonomy_update(actor=actor, taxonomy=obj, name=obj.name, description=obj.description)
        else:
            obj.pk = services.taxonomy_create(actor=actor, team=obj.team, name=obj.name, description=obj.description).pk

    def delete_with_service(self, actor: Actor, obj: Taxonomy) -> None:
        services.taxonomy_delete(actor=actor, taxonomy=obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(nodes_total=Count("nodes"))

    @admin.display(description="Nodes", ordering="nodes_total")
    def node_count(self, taxonomy: Any) -> int:
        return int(taxonomy.nodes_total)

    @admin.display(description="")
    def nodes_link(self, taxonomy: Taxonomy) -> SafeString:
        url = reverse("admin:taxonomy_taxonomynode_changelist") + f"?taxonomy__id__exact={taxonomy.id}"
        return format_html('<a href="{}">Browse and edit nodes</a>', url)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="taxonomy_taxonomy_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self._allowed(request, TaxonomyCommand.TAXONOMY_IMPORT):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        form.fields["team"].queryset = _teams_allowing(request, TaxonomyCommand.TAXONOMY_IMPORT)  # type: ignore[attr-defined]
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload  # read in chunks by the parser, up to its size limit
            version = guess_version(upload.name, data)
            name = form.cleaned_data["name"] or f"IAB Content Taxonomy {version}".strip()
            try:
                report = iab_import.taxonomy_import_iab(
                    actor=self.actor(request), team=form.cleaned_data["team"], data=data, name=name, version=version
                )
            except REFUSALS:
                raise
            except ApplicationError as error:
                form.add_error("file", error.message)
            else:
                self.message_user(
                    request,
                    f"{report.taxonomy.name}: {report.created} nodes created, {report.updated} updated, "
                    f"{report.unchanged} unchanged, {report.deactivated} deactivated.",
                )
                return HttpResponseRedirect(reverse("admin:taxonomy_taxonomy_changelist"))
        intro = (
            "Importing again updates the taxonomy in place: nodes are matched by their IAB id, "
            "prompts you edited are kept, nodes no longer in the file are deactivated."
        )
        return _form_page(request, self, form, "Import an IAB content taxonomy", intro)


class NodeForm(forms.ModelForm):
    prompt_lines = forms.CharField(
        label="Prompts",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text="One per line. Empty: the name and its path. Sub-categories' prompts count for this node too.",
    )
    option_choices = forms.MultipleChoiceField(
        label="Options",
        required=False,
        choices=[(option, option) for option in CLASSIFY_OPTIONS],
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these options for this node; none: the run's options.",
    )

    class Meta:
        model = TaxonomyNode
        fields = ["taxonomy", "parent", "name", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["prompt_lines"].initial = "\n".join(self.instance.effective_prompts)
            self.fields["option_choices"].initial = self.instance.options


@admin.register(TaxonomyNode)
class TaxonomyNodeAdmin(TeamScopedAdmin):
    form = NodeForm
    list_display = ["indented_name", "code", "taxonomy", "depth", "active", "prompt_list", "prompts_edited", "labels"]
    list_filter = ["taxonomy", "depth", "active", "prompts_edited"]
    search_fields = ["name", "code", "name_path"]
    list_select_related = ["taxonomy"]
    ordering = ["taxonomy", "path"]
    list_per_page = 200
    actions = ["activate", "deactivate"]
    add_command = TaxonomyCommand.TAXONOMY_EDIT
    change_command = TaxonomyCommand.TAXONOMY_EDIT

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(label_total=Count("labels"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        if obj is None:
            return ["taxonomy", "parent", "name", "prompt_lines", "option_choices", "active"]
        return ["taxonomy", "name_path", "code", "depth", "extension", "prompt_lines", "option_choices", "active"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["taxonomy", "name_path", "code", "depth", "extension"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        teams = _teams_allowing(request, TaxonomyCommand.TAXONOMY_EDIT)
        if db_field.name == "taxonomy":
            kwargs["queryset"] = Taxonomy.objects.visible_to(teams)
        if db_field.name == "parent":
            kwargs["queryset"] = TaxonomyNode.objects.visible_to(teams)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: TaxonomyNode, form: Any, change: bool) -> None:
        prompts = form.cleaned_data["prompt_lines"].splitlines()
        options = form.cleaned_data["option_choices"]
        actor = self.actor(request)
        try:
            if change:
                services.node_update(actor=actor, node=obj, prompts=prompts, options=options, active=obj.active)
            else:
                created = services.node_create(
                    actor=actor, taxonomy=obj.taxonomy, name=obj.name, prompts=prompts, parent=obj.parent,
                    options=options,
                )  # fmt: skip
                obj.pk = created.pk
        except REFUSALS:
            raise
        except ApplicationError as error:
            self.message_user(request, error.message, level="error")

    @admin.display(description="Name", ordering="path")
    def indented_name(self, node: TaxonomyNode) -> SafeString:
        return format_html('<span style="padding-left:{}em">{}</span>', (node.depth - 1) * 1.5, node.name)

    @admin.display(description="Prompts")
    def prompt_list(self, node: TaxonomyNode) -> str:
        return " · ".join(node.effective_prompts)

    @admin.display(description="Labels", ordering="label_total")
    def labels(self, node: Any) -> int:
        return int(node.label_total)

    @rule_action(TaxonomyCommand.CLASS_ACTIVATE, description="Activate selected nodes")
    def activate(self, request: HttpRequest, queryset: QuerySet[TaxonomyNode]) -> None:
        actor = self.actor(request)
        for node in queryset:
            services.node_update(actor=actor, node=node, active=True)

    @rule_action(TaxonomyCommand.CLASS_DEACTIVATE, description="Deactivate selected nodes (no longer classified)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[TaxonomyNode]) -> None:
        actor = self.actor(request)
        for node in queryset:
            services.node_update(actor=actor, node=node, active=False)


class RunForm(forms.Form):
    taxonomy = forms.ModelChoiceField(queryset=Taxonomy.objects.none())
    index = forms.ModelChoiceField(queryset=Index.objects.none(), required=False, help_text="The whole library.")
    options = forms.MultipleChoiceField(
        choices=[(option, option) for option in CLASSIFY_OPTIONS],
        initial=list(CLASSIFY_OPTIONS),
        widget=forms.CheckboxSelectMultiple,
    )
    conversation_option = forms.ChoiceField(choices=[("semantic", "semantic"), ("exact_match", "exact match")])
    min_video_score = forms.FloatField(min_value=0, max_value=100, initial=Thresholds.min_video_score)
    min_clip_score = forms.FloatField(min_value=0, max_value=100, initial=Thresholds.min_clip_score)
    min_duration_ratio = forms.FloatField(min_value=0.01, max_value=1, initial=Thresholds.min_duration_ratio)


@admin.register(ClassificationRun)
class ClassificationRunAdmin(TeamScopedAdmin):
    list_display = ["id", "taxonomy", "index", "scope", "status", "percentage", "labels_written", "error", "created_at"]
    list_filter = ["status", "taxonomy", "index"]
    list_select_related = ["taxonomy", "index"]
    readonly_fields = [field.name for field in ClassificationRun._meta.fields]
    actions = ["run_again"]
    add_command = TaxonomyCommand.RUN_CREATE

    @admin.display(description="Videos")
    def scope(self, run: ClassificationRun) -> str:
        return f"{len(run.video_ids)} selected" if run.video_ids else "whole index"

    @admin.display(description="Progress")
    def percentage(self, run: ClassificationRun) -> str:
        return f"{run.progress:.0f}% ({run.videos_done}/{run.videos_total})"

    @admin.display(description="Error / skipped options")
    def error(self, run: ClassificationRun) -> str:
        if run.error_code:
            return f"{run.error_code}: {run.error_message}"
        return "; ".join(f"{option}: {reason}" for option, reason in run.skipped_options.items())

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.start_view)
        return [path("start/", view, name="taxonomy_classificationrun_start"), *super().get_urls()]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return self.start_view(request)

    def start_view(self, request: HttpRequest) -> HttpResponse:
        """Choose a taxonomy and thresholds for the selected videos, the selected indexes, or one index."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        actor = self.actor(request)
        teams = actor.teams_allowing(TaxonomyCommand.RUN_CREATE)
        video_ids = request.session.get(SELECTION_KEY, []) if request.GET.get("from") == "videos" else []
        videos = list(Video.objects.visible_to(teams).filter(id__in=video_ids).select_related("index"))
        index_ids = [i for i in request.GET.get("indexes", "").split(",") if i]
        indexes = list(Index.objects.visible_to(teams).filter(id__in=index_ids))
        form = RunForm(request.POST or None)
        form.fields["taxonomy"].queryset = Taxonomy.objects.visible_to(teams)  # type: ignore[attr-defined]
        form.fields["index"].queryset = Index.objects.visible_to(teams)  # type: ignore[attr-defined]
        if videos or indexes:
            del form.fields["index"]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            thresholds = Thresholds(data["min_video_score"], data["min_clip_score"], data["min_duration_ratio"])
            try:
                if videos:
                    runs = run_services.runs_create_per_index(
                        actor=actor, taxonomy=data["taxonomy"], videos=videos, options=data["options"],
                        thresholds=thresholds, conversation_option=data["conversation_option"],
                    )  # fmt: skip
                else:
                    targets = indexes or ([data["index"]] if data.get("index") else [])
                    if not targets:
                        raise ApplicationError("Choose the index to classify.")
                    runs = [
                        run_services.run_create(
                            actor=actor,
                            taxonomy=data["taxonomy"],
                            index=index,
                            options=data["options"],
                            thresholds=thresholds,
                            conversation_option=data["conversation_option"],
                        )  # fmt: skip
                        for index in targets
                    ]
            except REFUSALS:
                raise
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                request.session.pop(SELECTION_KEY, None)
                self.message_user(request, f"Queued {len(runs)} classification run(s); labels appear as they finish.")
                return HttpResponseRedirect(reverse("admin:taxonomy_classificationrun_changelist"))
        if videos:
            intro = f"Classify {len(videos)} selected video(s)."
        elif indexes:
            intro = "Classify every ready video of " + ", ".join(index.name for index in indexes) + "."
        else:
            intro = "Classify every ready video of an index."
        return _form_page(request, self, form, "Classify videos", intro)

    @rule_action(
        TaxonomyCommand.RUN_CREATE, description="Run selected runs again (same taxonomy, videos and thresholds)"
    )
    def run_again(self, request: HttpRequest, queryset: QuerySet[ClassificationRun]) -> None:
        actor = self.actor(request)
        runs = [
            run_services.run_create(
                actor=actor,
                taxonomy=run.taxonomy,
                index=run.index,
                options=run.options,
                thresholds=Thresholds(run.min_video_score, run.min_clip_score, run.min_duration_ratio),
                conversation_option=run.conversation_option,
                videos=Video.objects.filter(id__in=run.video_ids) if run.video_ids else None,
            )
            for run in queryset.select_related("taxonomy", "index")
        ]
        self.message_user(request, f"Queued {len(runs)} classification run(s).")


# The label admin lives in its own module; importing it registers it with this admin.
from taxonomy import admin_labels  # noqa: E402, F401
