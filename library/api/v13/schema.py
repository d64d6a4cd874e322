"""The OpenAPI description of /v1.3 bodies and parameters (the views parse by hand; these only describe).

Same conventions as library/api/compat/schema.py: the limits the parsers enforce, so the
fuzzer and generated clients send what the server takes; `*Body` objects refuse unknown keys.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from library import intake_policy
from library.api.compat.schema import (
    HTTP_URL,
    ID_ANSWER,
    NOT_BLANK,
    OBJECT,
    PAGE,
    TIMES,
    IndexRenameBody,
    MetadataField,
    json_body,
    paging,
)
from library.api.v13.options import MODEL_NAMES, MODEL_OPTIONS
from library.intake_policy import MAX_URL_CHARS
from library.models import TaskStatus
from library.models.indexes import ADDONS
from library.multipart import MAX_URLS_PER_REQUEST

__all__ = ["ID_ANSWER", "OBJECT", "PAGE", "IndexRenameBody", "json_body"]


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "model_name": {"type": "string", "enum": list(MODEL_NAMES)},
                "model_options": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(MODEL_OPTIONS)},
                    "minItems": 1,
                },
            },
            "required": ["model_name", "model_options"],
            "additionalProperties": False,
        },
    }
)
class ModelsField(serializers.JSONField):
    pass


class V13IndexCreateBody(serializers.Serializer[Any]):
    index_name = serializers.RegexField(NOT_BLANK, max_length=200)
    models = ModelsField()
    addons = serializers.ListField(child=serializers.ChoiceField(ADDONS), required=False)


class AssetDirectBody(serializers.Serializer[Any]):
    """`POST /assets` with the file (multipart, as the SDK sends it)."""

    method = serializers.ChoiceField(["direct"])
    file = serializers.FileField()
    filename = serializers.CharField(max_length=500, required=False)
    user_metadata = MetadataField(required=False, help_text="A JSON object; in a form, as JSON text.")
    enable_hls = serializers.BooleanField(required=False)
    enable_thumbnail = serializers.BooleanField(required=False)


class AssetUrlBody(serializers.Serializer[Any]):
    """`POST /assets` naming a URL (a form as the SDK sends it, or JSON)."""

    method = serializers.ChoiceField(["url"])
    url = serializers.RegexField(HTTP_URL, max_length=MAX_URL_CHARS)
    filename = serializers.CharField(max_length=500, required=False)
    user_metadata = MetadataField(required=False, help_text="A JSON object; in a form, as JSON text.")
    enable_hls = serializers.BooleanField(required=False)
    enable_thumbnail = serializers.BooleanField(required=False)


class MetadataBody(serializers.Serializer[Any]):
    user_metadata = MetadataField()


class MultipartCreateBody(serializers.Serializer[Any]):
    filename = serializers.RegexField(NOT_BLANK, max_length=500)
    type = serializers.ChoiceField(["video"], required=False)
    total_size = serializers.IntegerField(min_value=1, max_value=intake_policy.max_upload_bytes())
    enable_hls = serializers.BooleanField(required=False)
    enable_thumbnail = serializers.BooleanField(required=False)
    user_metadata = MetadataField(required=False)


class PresignedUrlsBody(serializers.Serializer[Any]):
    start = serializers.IntegerField(min_value=1, max_value=10_000)
    count = serializers.IntegerField(min_value=1, max_value=MAX_URLS_PER_REQUEST)


class CompletedChunkBody(serializers.Serializer[Any]):
    chunk_index = serializers.IntegerField(min_value=1, max_value=10_000)
    proof = serializers.CharField(max_length=64)
    proof_type = serializers.ChoiceField(["etag"])
    chunk_size = serializers.IntegerField(min_value=1)


class ReportChunksBody(serializers.Serializer[Any]):
    completed_chunks = serializers.ListField(child=CompletedChunkBody(), min_length=1, max_length=10_000)


class IndexedAssetCreateBody(serializers.Serializer[Any]):
    asset_id = serializers.CharField(max_length=24)
    enable_video_stream = serializers.BooleanField(required=False)
    user_metadata = MetadataField(required=False)


class V13TaskFileBody(serializers.Serializer[Any]):
    index_id = serializers.CharField(max_length=24)
    video_file = serializers.FileField()
    enable_video_stream = serializers.BooleanField(required=False)
    user_metadata = MetadataField(required=False, help_text="A JSON object; in a form, as JSON text.")


class V13TaskUrlBody(serializers.Serializer[Any]):
    index_id = serializers.CharField(max_length=24)
    video_url = serializers.RegexField(HTTP_URL, max_length=MAX_URL_CHARS)
    enable_video_stream = serializers.BooleanField(required=False)
    user_metadata = MetadataField(required=False)


INDEX_LIST = [
    *paging("created_at", "updated_at"),
    OpenApiParameter("index_name", str),
    OpenApiParameter("model_family", str, enum=["marengo", "pegasus"]),
    OpenApiParameter("model_options", str, enum=list(MODEL_OPTIONS)),
    *TIMES,
]
PAGING = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
    OpenApiParameter("page_limit", {"type": "integer", "minimum": 1, "maximum": 50}),
]
ASSET_LIST = [
    *PAGING,
    OpenApiParameter("asset_ids", str, many=True),
    OpenApiParameter("asset_types", str, many=True, enum=["video"]),
    OpenApiParameter("filename", str),
]
INDEXED_ASSET_LIST = [
    *paging("created_at", "updated_at"),
    OpenApiParameter("status", str, many=True, enum=list(TaskStatus.values)),
    OpenApiParameter("filename", str),
    *(OpenApiParameter(f"{name}[{op}]", float) for name in ("duration", "fps") for op in ("gte", "lte")),
    *(OpenApiParameter(f"{name}[{op}]", int) for name in ("width", "height", "size") for op in ("gte", "lte")),
    *TIMES,
]
INDEXED_ASSET_DETAIL = [
    OpenApiParameter("transcription", bool),
    OpenApiParameter("embedding_option", str, many=True, enum=["visual", "audio", "transcription"]),
]
TASK_LIST = [
    *paging("created_at", "updated_at"),
    OpenApiParameter("index_id", str),
    OpenApiParameter("filename", str),
    OpenApiParameter("status", str, many=True, enum=list(TaskStatus.values)),
    OpenApiParameter("duration", float),
    *(OpenApiParameter(name, int) for name in ("width", "height")),
    *TIMES,
]
TRANSCRIPTION = [OpenApiParameter("include", str, many=True, enum=["words", "sentences", "utterances"])]
ASSET_DELETE = [OpenApiParameter("force", bool)]
