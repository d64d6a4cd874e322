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

from library import services
from library.admin.base import TeamScopedAdmin
from library.admin.generation import GeneratedTextInline, generate_title_hashtags_summary
from library.media import media_url
from library.models import Index, Task, TaskStatus, Thumbnail, Video
from taxonomy.admin_actions import LabelFilter, classify_selected_videos


def _seconds(value: float) -> str:
    minutes, seconds = divmod(value, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


class ThumbnailInline(admin.TabularInline):  # type: ignore[type-arg]
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
    team_path = "index__team"
    list_display = ["thumbnail", "filename", "index", "state", "length", "resolution", "indexed_at"]
    list_display_links = ["filename"]
    list_filter = ["index", "has_audio", LabelFilter]
    search_fields = ["filename", "title", "id"]
    list_select_related = ["index"]
    fieldsets = [
        (None, {"fields": ["id", "index", "filename", "title", "player"]}),
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
                    "transcript_lines",
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
    readonly_fields = [field for _, group in fieldsets for field in group["fields"] if field != "title"]
    inlines = [ThumbnailInline, GeneratedTextInline]
    actions = ["reindex", classify_selected_videos, generate_title_hashtags_summary]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The extraction columns can be large; the list never shows them.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("transcript", "texts", "logos", "concepts", "shots")
            queryset = queryset.prefetch_related("thumbnails")
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # videos arrive through tasks ("Upload a video")

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

    @admin.action(description="Re-index selected videos")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        tasks = services.videos_reindex(videos=queryset.filter(indexed_at__isnull=False), user=request.user)
        self.message_user(request, f"Queued {len(tasks)} re-indexing task(s).")


class UploadForm(forms.Form):
    index = forms.ModelChoiceField(queryset=Index.objects.none())
    video_file = forms.FileField(required=False)
    video_url = forms.URLField(required=False, label="…or a video URL", assume_scheme="https")
    language = forms.CharField(required=False, max_length=10, initial="en")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("video_file")) == bool(data.get("video_url")):
            raise forms.ValidationError("Choose a file or give a URL (one of them).")
        return data


@admin.register(Task)
class TaskAdmin(TeamScopedAdmin):
    team_path = "index__team"
    list_display = ["filename", "index", "status", "percentage", "stage", "error", "attempts", "created_at"]
    list_filter = ["status", "source", "index"]
    search_fields = ["filename", "id", "error_message"]
    list_select_related = ["index"]
    readonly_fields = [f.name for f in Task._meta.fields]
    actions = ["retry_failed"]

    @admin.display(description="Progress")
    def percentage(self, task: Task) -> str:
        return f"{task.progress:.0f}%"

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
        editable = (
            Index.objects.all()
            if request.user.is_superuser
            else Index.objects.filter(
                team__memberships__user=request.user, team__memberships__role__in=["owner", "editor"]
            )
        )
        form.fields["index"].queryset = editable  # type: ignore[attr-defined]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if data.get("video_file"):
                services.task_create_from_file(
                    index=data["index"],
                    content=data["video_file"],
                    filename=data["video_file"].name,
                    language=data["language"],
                    user=request.user,
                )
            else:
                services.task_create_from_url(
                    index=data["index"], url=data["video_url"], language=data["language"], user=request.user
                )
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

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.action(description="Retry selected failed tasks")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        retried = [
            services.task_retry(task=task)
            for task in queryset.filter(status=TaskStatus.FAILED)
            if task.upload or task.source_url
        ]
        self.message_user(request, f"Queued {len(retried)} failed task(s) again.")
