from __future__ import annotations

from typing import Any

from rest_framework import serializers

from library.api.compat.schema import HTTP_URL, EnginesField
from library.media import media_url
from library.models import Index, Task, Video
from library.models.indexes import ADDONS
from library.selectors import task_eta, task_progress


class IndexSerializer(serializers.ModelSerializer[Index]):
    options = serializers.SerializerMethodField()
    video_count = serializers.IntegerField(read_only=True)
    total_duration = serializers.FloatField(read_only=True)
    team = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Index
        fields = [
            "id",
            "name",
            "team",
            "engines",
            "addons",
            "options",
            "video_count",
            "total_duration",
            "created_at",
            "updated_at",
        ]

    def get_options(self, index: Index) -> list[str]:
        return sorted(index.options)


class IndexCreateSerializer(serializers.Serializer[Any]):
    team = serializers.CharField(required=False, help_text="Team name; needed only for users in several teams.")
    name = serializers.CharField(max_length=200)
    engines = EnginesField()
    addons = serializers.ListField(child=serializers.ChoiceField(ADDONS), required=False)


class VideoSerializer(serializers.ModelSerializer[Video]):
    video_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id",
            "index",
            "filename",
            "title",
            "status",
            "duration",
            "fps",
            "width",
            "height",
            "size",
            "container",
            "video_codec",
            "audio_codec",
            "has_audio",
            "language",
            "user_metadata",
            "shots",
            "skipped",
            "engine_name",
            "engine_versions",
            "video_url",
            "thumbnail_url",
            "indexed_at",
            "created_at",
            "updated_at",
        ]

    def get_video_url(self, video: Video) -> str:
        return media_url(video.file.name, request=self.context.get("request"))

    def get_thumbnail_url(self, video: Video) -> str | None:
        first = video.thumbnails.first()
        return media_url(first.image.name, request=self.context.get("request")) if first else None

    def get_status(self, video: Video) -> str:
        return "ready" if video.is_ready else "indexing"


class VideoExtractionSerializer(serializers.ModelSerializer[Video]):
    thumbnails = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id", "language", "transcript", "translation", "texts", "logos", "concepts", "shots", "skipped",
            "visual_model", "thumbnails",
        ]  # fmt: skip

    visual_model = serializers.SerializerMethodField()

    def get_visual_model(self, video: Video) -> str | None:
        return (video.engine_versions or {}).get("visual")

    def get_thumbnails(self, video: Video) -> list[dict[str, Any]]:
        request = self.context.get("request")
        return [{"time": t.time, "url": media_url(t.image.name, request=request)} for t in video.thumbnails.all()]


class TaskSerializer(serializers.ModelSerializer[Task]):
    remain_seconds = serializers.SerializerMethodField()
    estimated_time = serializers.SerializerMethodField()
    waiting_to_resume = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "index",
            "video",
            "source",
            "source_url",
            "filename",
            "status",
            "stage",
            "progress",
            "remain_seconds",
            "estimated_time",
            "waiting_to_resume",
            "error_code",
            "error_message",
            "duration",
            "width",
            "height",
            "attempts",
            "created_at",
            "updated_at",
            "finished_at",
        ]

    def to_representation(self, instance: Task) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        # A task whose worker died shows as waiting to resume, not as the dead attempt's progress.
        shown = task_progress(instance)
        data.update(status=shown.status, progress=shown.percentage, stage=shown.stage)
        return data

    def get_waiting_to_resume(self, task: Task) -> bool:
        return task_progress(task).waiting_to_resume

    def get_remain_seconds(self, task: Task) -> float | None:
        return task_eta(task)[0]

    def get_estimated_time(self, task: Task) -> str | None:
        finish = task_eta(task)[1]
        return finish.isoformat() if finish else None


class TaskUploadSerializer(serializers.Serializer[Any]):
    """The documented multipart body (TaskCreateSerializer validates both forms)."""

    index = serializers.CharField()
    video_file = serializers.FileField()
    language = serializers.CharField(required=False, allow_blank=True, max_length=10)


class TaskUrlSerializer(serializers.Serializer[Any]):
    index = serializers.CharField()
    video_url = serializers.RegexField(HTTP_URL, max_length=2000)
    language = serializers.CharField(required=False, allow_blank=True, max_length=10)


class TaskCreateSerializer(serializers.Serializer[Any]):
    index = serializers.CharField()
    video_file = serializers.FileField(required=False)
    video_url = serializers.URLField(required=False, max_length=2000)
    language = serializers.CharField(required=False, allow_blank=True, max_length=10)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("video_file")) == bool(attrs.get("video_url")):
            raise serializers.ValidationError("Give exactly one of video_file or video_url.")
        return attrs
