"""Videos and tasks in the admin: status, progress, what indexing found, uploads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.admin.base import TeamScopedAdmin, rule_action
from core.errors import ApplicationError
from core.rules import Actor
from library import intake_policy, services
from library.admin.generation import GeneratedTextInline, generate_title_hashtags_summary
from library.commands import LibraryCommand
from library.media import media_url
from library.models import Index, Task, TaskStatus, Thumbnail, Video
from library.selectors import task_progress


def _seconds(value: float) -> str:
    minutes, seconds = divmod(value, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


class ThumbnailInline(admin.TabularInline):
    model = Thumbnail
    extra = 0
    can_delete = False
    fields = ["time", "preview"]
    readonly_fields = ["time", "preview"]
    max_num = 0

    @admin.display(description="Picture")
    def preview(self, thumbnail: Any) -> SafeString:
        return format_html(
            '<img src="{}" style="height:60px" alt="frame at {}s">', media_url(thumbnail.image.name), thumbnail.time
        )


@admin.register(Video)
class VideoAdmin(TeamScopedAdmin):
    list_display = ["thumbnail", "filename", "index", "state", "length", "resolution", "language", "indexed_at"]
    list_display_links = ["filename"]
    list_filter = ["index", "has_audio", "language"]  # + taxonomy's label filter (config/admin_extras.py)
    search_fields = ["filename", "title", "id"]
    list_select_related = ["index"]
    fieldsets = [
        (None, {"fields": ["id", "index", "asset", "filename", "title", "player"]}),
        (
            "File",
            {
                "fields": [
                    "length",
                    "resolution",
                    "fps",
                    "size",
                    "container",
                    "video_codec",
                    "audio_codec",
                    "has_audio",
                    "sha256",
                ]
            },
        ),
        (
            "What indexing found",
            {
                "fields": [
                    "skipped_options",
                    "shot_list",
                    "language",
                    "transcript_lines",
                    "translation_lines",
                    "on_screen_texts",
                    "logo_list",
                    "concept_list",
                    "visual_model",
                    "engine_name",
                    "engine_versions",
                    "indexed_at",
                ]
            },
        ),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]
    # Everything on the page is what indexing measured or found; only the title is editable.
    readonly_fields = [
        field for _, group in fieldsets for field in group["fields"] if isinstance(field, str) and field != "title"
    ]
    inlines = [ThumbnailInline, GeneratedTextInline]
    actions = ["reindex", generate_title_hashtags_summary]  # + classify (config/admin_extras.py)
    change_command = LibraryCommand.VIDEO_UPDATE
    delete_command = LibraryCommand.VIDEO_DELETE

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The extraction columns can be large; the list never shows them.
        queryset = super().get_queryset(request)
        if request.resolver_match and (request.resolver_match.url_name or "").endswith("changelist"):
            queryset = queryset.defer(
                "transcript", "translation", "texts", "logos", "concepts", "shots"
            ).prefetch_related("thumbnails")
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # videos arrive through tasks ("Upload a video")

    def save_model(self, request: HttpRequest, obj: Video, form: Any, change: bool) -> None:
        services.video_update(actor=self.actor(request), video=obj, title=form.cleaned_data["title"])

    def delete_with_service(self, actor: Actor, obj: Video) -> None:
        services.video_delete(actor=actor, video=obj)

    @admin.display(description="")
    def thumbnail(self, video: Video) -> SafeString:
        first = next(iter(video.thumbnails.all()), None)
        if first is None:
            return format_html("<span>{}</span>", "—")
        return format_html('<img src="{}" style="height:40px" alt="">', media_url(first.image.name))

    @admin.display(description="Status")
    def state(self, video: Video) -> str:
        return "ready" if video.is_ready else "indexing"

    @admin.display(description="Duration", ordering="duration")
    def length(self, video: Video) -> str:
        return _seconds(video.duration)

    @admin.display(description="Resolution")
    def resolution(self, video: Video) -> str:
        return f"{video.width}x{video.height}"

    @admin.display(description="Video")
    def player(self, video: Video) -> SafeString:
        return format_html(
            '<video src="{}" controls preload="metadata" style="max-width:480px"></video>', media_url(video.file.name)
        )

    @admin.display(description="Skipped options")
    def skipped_options(self, video: Video) -> SafeString:
        if not video.skipped:
            return format_html("{}", "none")
        return format_html_join("", "<div><b>{}</b>: {}</div>", video.skipped.items())

    @admin.display(description="Shots")
    def shot_list(self, video: Video) -> SafeString:
        return format_html_join(", ", "{}–{}", ((_seconds(s["start"]), _seconds(s["end"])) for s in video.shots))

    @admin.display(description="Transcript")
    def transcript_lines(self, video: Video) -> SafeString:
        return format_html_join(
            "", "<div>[{}] {}</div>", ((_seconds(t["start"]), t["value"]) for t in video.transcript)
        )

    @admin.display(description="English translation (machine)")
    def translation_lines(self, video: Video) -> SafeString:
        return format_html_join(
            "", "<div>[{}] {}</div>", ((_seconds(t["start"]), t["value"]) for t in video.translation or ())
        ) or format_html("<span>{}</span>", "— (the speech is in English, or there is none)")

    @admin.display(description="On-screen text")
    def on_screen_texts(self, video: Video) -> SafeString:
        return format_html_join(
            "", "<div>[{}–{}] {}</div>", ((_seconds(t["start"]), _seconds(t["end"]), t["value"]) for t in video.texts)
        )

    @admin.display(description="Logos")
    def logo_list(self, video: Video) -> SafeString:
        return format_html_join(
            "", "<div>[{}–{}] {}</div>", ((_seconds(t["start"]), _seconds(t["end"]), t["value"]) for t in video.logos)
        )

    @admin.display(description="Objects and scenes")
    def concept_list(self, video: Video) -> SafeString:
        return format_html_join(
            "",
            "<div>[{}–{}] {} ({}%)</div>",
            (
                (_seconds(c["start"]), _seconds(c["end"]), c["value"], round(100 * float(c["confidence"])))
                for c in video.concepts
            ),
        )

    @admin.display(description="Visual model")
    def visual_model(self, video: Video) -> str:
        return (video.engine_versions or {}).get("visual", "—")

    @rule_action(LibraryCommand.VIDEO_REINDEX, description="Re-index selected videos")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        actor = self.actor(request)
        tasks = services.videos_reindex(actor=actor, videos=queryset.filter(indexed_at__isnull=False))
        self.message_user(request, f"Queued {len(tasks)} re-indexing task(s).")


class UploadForm(forms.Form):
    index = forms.ModelChoiceField(queryset=Index.objects.none())
    video_file = forms.FileField(required=False)
    video_url = forms.URLField(required=False, label="…or a video URL", assume_scheme="https")
    language = forms.CharField(
        required=False, max_length=10, help_text="Spoken language code (en, es, fr...); empty: detected."
    )

    def clean_language(self) -> str:
        try:
            return intake_policy.language(self.cleaned_data.get("language") or "")
        except intake_policy.UploadRefused as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("video_file")) == bool(data.get("video_url")):
            raise forms.ValidationError("Choose a file or give a URL (one of them).")
        return data


@admin.register(Task)
class TaskAdmin(TeamScopedAdmin):
    list_display = ["filename", "index", "status", "percentage", "stage", "error", "attempts", "created_at"]
    list_filter = ["status", "source", "index"]
    search_fields = ["filename", "id", "error_message"]
    list_select_related = ["index"]
    readonly_fields = [f.name for f in Task._meta.fields]
    actions = ["retry_failed"]
    add_command = LibraryCommand.TASK_CREATE
    delete_command = LibraryCommand.TASK_DELETE

    @admin.display(description="Progress")
    def percentage(self, task: Task) -> str:
        shown = task_progress(task)
        return "waiting to resume" if shown.waiting_to_resume else f"{shown.percentage:.0f}%"

    @admin.display(description="Last error")
    def error(self, task: Task) -> str:
        return f"{task.error_code}: {task.error_message}" if task.error_code else ""

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        """ "Add task" is "Upload a video": the upload goes through the same service as the API."""
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        actor = self.actor(request)
        editable = Index.objects.visible_to(actor.teams_allowing(LibraryCommand.TASK_CREATE))
        form.fields["index"].queryset = editable  # type: ignore[attr-defined]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("video_file"):
                    services.task_create_from_file(
                        actor=actor,
                        index=data["index"],
                        content=data["video_file"],
                        filename=data["video_file"].name,
                        language=data["language"],
                    )
                else:
                    services.task_create_from_url(
                        actor=actor, index=data["index"], url=data["video_url"], language=data["language"]
                    )
            except ApplicationError as error:  # a refused URL or file: say why on the form
                form.add_error("video_file" if data.get("video_file") else "video_url", error.message)
            else:
                self.message_user(request, "Upload received; the video is being validated and indexed.")
                return HttpResponseRedirect(reverse("admin:library_task_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a video",
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/library/task/upload.html", context)

    def delete_with_service(self, actor: Actor, obj: Task) -> None:
        services.task_delete(actor=actor, task=obj)

    @rule_action(LibraryCommand.TASK_RETRY, description="Retry selected failed tasks")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        actor = self.actor(request)
        retried = [
            services.task_retry(actor=actor, task=task)
            for task in queryset.filter(status=TaskStatus.FAILED)
            if task.upload or task.source_url
        ]
        self.message_user(request, f"Queued {len(retried)} failed task(s) again.")
