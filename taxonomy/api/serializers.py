from __future__ import annotations

from typing import Any

from rest_framework import serializers

from taxonomy.api.schema import ClassifyThresholdField
from taxonomy.models import CLASSIFY_OPTIONS, ClassificationRun, Taxonomy, TaxonomyNode, VideoLabel
from taxonomy.params import MAX_PROMPTS, MAX_RUN_VIDEOS, MAX_TAXONOMY_CLASSES


class TaxonomySerializer(serializers.ModelSerializer[Taxonomy]):
    team = serializers.CharField(source="team.name", read_only=True)
    node_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Taxonomy
        fields = ["id", "name", "team", "source", "version", "description", "node_count", "created_at", "updated_at"]


class ClassInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=300)
    prompts = serializers.ListField(child=serializers.CharField(max_length=500), min_length=1, max_length=MAX_PROMPTS)
    options = serializers.ListField(child=serializers.ChoiceField(CLASSIFY_OPTIONS), required=False)


class TaxonomyCreateSerializer(serializers.Serializer[Any]):
    team = serializers.CharField(required=False, help_text="Team name; needed only for users in several teams.")
    name = serializers.CharField(max_length=200)
    # max_length is checked before any class is validated: a huge list is refused at once.
    classes: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ClassInputSerializer(),
        max_length=MAX_TAXONOMY_CLASSES,
        help_text=f"A flat list of classes (a taxonomy of depth 1), at most {MAX_TAXONOMY_CLASSES}.",
    )


class TaxonomyImportSerializer(serializers.Serializer[Any]):
    team = serializers.CharField(required=False, help_text="Team name; needed only for users in several teams.")
    name = serializers.CharField(max_length=200, required=False, help_text="Default: IAB Content Taxonomy <version>.")
    file = serializers.FileField(help_text="An IAB Tech Lab Content Taxonomy TSV.")


class ImportReportSerializer(serializers.Serializer[Any]):
    taxonomy = TaxonomySerializer()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    deactivated = serializers.IntegerField()


class NodeSerializer(serializers.ModelSerializer[TaxonomyNode]):
    prompts = serializers.ListField(source="effective_prompts", child=serializers.CharField(), read_only=True)

    class Meta:
        model = TaxonomyNode
        fields = [
            "id", "taxonomy", "parent", "code", "name", "name_path", "path", "depth", "position",
            "prompts", "prompts_edited", "options", "active", "extension",
        ]  # fmt: skip
        read_only_fields = fields


class NodeUpdateSerializer(serializers.Serializer[Any]):
    prompts = serializers.ListField(
        child=serializers.CharField(max_length=500, allow_blank=True), required=False, max_length=MAX_PROMPTS
    )
    options = serializers.ListField(child=serializers.ChoiceField(CLASSIFY_OPTIONS), required=False)
    active = serializers.BooleanField(required=False)


class RunSerializer(serializers.ModelSerializer[ClassificationRun]):
    class Meta:
        model = ClassificationRun
        fields = [
            "id", "taxonomy", "index", "video_ids", "options", "conversation_option", "min_video_score",
            "min_clip_score", "min_duration_ratio", "status", "progress", "videos_total", "videos_done",
            "labels_written", "skipped_options", "error_code", "error_message", "attempts", "created_at",
            "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class RunCreateSerializer(serializers.Serializer[Any]):
    taxonomy = serializers.IntegerField()
    index = serializers.CharField()
    video_ids = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=MAX_RUN_VIDEOS,
        help_text=f"Default: every video; at most {MAX_RUN_VIDEOS}.",
    )
    options = serializers.ListField(child=serializers.ChoiceField(CLASSIFY_OPTIONS), min_length=1)
    conversation_option = serializers.ChoiceField(["semantic", "exact_match"], default="semantic")
    threshold = ClassifyThresholdField(
        required=False, help_text="A number (min_video_score) or {min_video_score, min_clip_score, min_duration_ratio}."
    )


class LabelNodeSerializer(serializers.ModelSerializer[TaxonomyNode]):
    taxonomy = serializers.CharField(source="taxonomy.name")

    class Meta:
        model = TaxonomyNode
        fields = ["id", "code", "name", "name_path", "depth", "taxonomy"]


class LabelSerializer(serializers.ModelSerializer[VideoLabel]):
    node = LabelNodeSerializer(read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = VideoLabel
        fields = [
            "id", "video", "node", "origin", "decision", "decided_by", "decided_at", "score", "duration_ratio",
            "max_score", "avg_score", "normalized_score", "clips", "run", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class LabelCreateSerializer(serializers.Serializer[Any]):
    video = serializers.CharField()
    node = serializers.IntegerField()


class LabelCountSerializer(serializers.Serializer[Any]):
    node_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    path = serializers.CharField()
    depth = serializers.IntegerField()
    parent_id = serializers.IntegerField(allow_null=True)
    direct = serializers.IntegerField(help_text="Videos labeled with this node itself.")
    videos = serializers.IntegerField(help_text="Videos labeled with this node or any node below it.")
