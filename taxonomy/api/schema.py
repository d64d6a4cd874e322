"""The OpenAPI description of the classification bodies; like library/api/compat/schema.py, it only
describes what the views accept, with the limits the parsers enforce."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from library.api.compat.schema import NOT_BLANK, options_field
from taxonomy.models import CONVERSATION_OPTIONS


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": 0, "maximum": 100, "description": "the minimum video score"},
            {
                "type": "object",
                "properties": {
                    "min_video_score": {"type": "number", "minimum": 0, "maximum": 100},
                    "min_clip_score": {"type": "number", "minimum": 0, "maximum": 100},
                    "min_duration_ratio": {"type": "number", "minimum": 0.01, "maximum": 1},
                },
                "additionalProperties": False,
            },
        ]
    }
)
class ClassifyThresholdField(serializers.JSONField):
    pass


class ClassifyClassBody(serializers.Serializer[Any]):
    name = serializers.RegexField(NOT_BLANK, max_length=300, help_text="Unique within the request.")
    prompts = serializers.ListField(child=serializers.RegexField(NOT_BLANK, max_length=500), min_length=1)


class ClassifyOptionsBody(serializers.Serializer[Any]):
    classes = serializers.ListField(
        child=ClassifyClassBody(), min_length=1, max_length=20, help_text="At most 100 prompts in all."
    )
    options = options_field(("visual", "conversation", "text_in_video"))
    conversation_option = serializers.ChoiceField(CONVERSATION_OPTIONS, required=False)
    include_clips = serializers.BooleanField(required=False)
    show_detailed_score = serializers.BooleanField(required=False)
    threshold = ClassifyThresholdField(required=False)
    page_limit = serializers.IntegerField(min_value=1, max_value=50, required=False)


class ClassifyVideosBody(ClassifyOptionsBody):
    video_ids = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=1000)


class ClassifyIndexBody(ClassifyOptionsBody):
    index_id = serializers.CharField()
