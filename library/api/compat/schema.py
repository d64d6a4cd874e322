"""The OpenAPI description of the Twelve Labs compatible API: library's bodies and the shared fields
(search's bodies are in search/api/schema.py, classification's in taxonomy/api/schema.py).

The compat views parse their bodies by hand (they must answer Twelve Labs' error
codes), so drf-spectacular cannot infer them; these serializers only describe what
the views accept, with the same limits the parsers enforce, so a generated client or
a fuzzer sends requests the server takes. They never validate anything themselves.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, inline_serializer
from rest_framework import serializers

from core.params import MAX_PAGE_LIMIT
from engines.base import ENGINE_OPTIONS
from engines.generation.base import GIST_TYPES, SUMMARY_TYPES
from library.api import openapi  # noqa: F401  (registers the x-api-key security scheme)
from library.api.compat.common import MAX_PAGE
from library.generation.services import MAX_PROMPT_CHARS
from library.intake_policy import MAX_URL_CHARS
from library.metadata import MAX_KEYS, MAX_VALUE_CHARS, METADATA_KEY_PATTERN
from library.models import TaskStatus
from library.models.indexes import ADDONS
from library.models.indexes import V12_EMBEDDING_ENGINES as EMBEDDING_ENGINES
from library.models.indexes import V12_GENERATIVE_ENGINES as GENERATIVE_ENGINES

# JSON Schema patterns are searches: "\S" means "holds a non-space character".
NOT_BLANK = r"\S"
HTTP_URL = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$"

# Filter bounds beyond a 64-bit column are refused (search/filters.py).
_BOUNDED = {"type": "number", "minimum": -9.2e18, "maximum": 9.2e18}
_RANGE = {
    "type": "object",
    "properties": {op: _BOUNDED for op in ("gte", "lte", "gt", "lt")},
    "additionalProperties": False,
    "minProperties": 1,
}
_NUMBER_OR_RANGE = {"oneOf": [_BOUNDED, _RANGE]}
SEARCH_FILTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Which videos may appear: by id, by technical fields, or by the user metadata set on videos.",
    "properties": {
        "id": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1000},
        "filename": {"type": "string", "maxLength": 2000},
        **{name: _NUMBER_OR_RANGE for name in ("duration", "fps", "width", "height", "size")},
    },
    # Any other key is user metadata; a key is a plain name (no `__`), see library/metadata.py.
    "propertyNames": {"pattern": METADATA_KEY_PATTERN, "minLength": 1, "maxLength": 64},
    "additionalProperties": {
        "oneOf": [{"type": "string", "maxLength": MAX_VALUE_CHARS}, _BOUNDED, {"type": "boolean"}, _RANGE]
    },
}
METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "User metadata: plain keys (letters, digits, space, `_`, `-`, `.`; no `__`), scalar values.",
    "propertyNames": {"pattern": METADATA_KEY_PATTERN, "minLength": 1, "maxLength": 64},
    "maxProperties": MAX_KEYS,
    "additionalProperties": {
        "oneOf": [{"type": "string", "maxLength": MAX_VALUE_CHARS}, {"type": "number"}, {"type": "boolean"}]
    },
}


@extend_schema_field(SEARCH_FILTER_SCHEMA)
class SearchFilterField(serializers.JSONField):
    pass


@extend_schema_field(METADATA_SCHEMA)
class MetadataField(serializers.JSONField):
    pass


def json_body(serializer: type[serializers.Serializer[Any]]) -> dict[str, type[serializers.Serializer[Any]]]:
    """A body documented as JSON only: nested lists and objects have no form encoding."""
    return {"application/json": serializer}


def options_field(choices: tuple[str, ...], **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices), min_length=1, **kwargs)


def _engine(names: tuple[str, ...], options: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "engine_name": {"type": "string", "enum": list(names)},
            "engine_options": {"type": "array", "items": {"type": "string", "enum": list(options)}, "minItems": 1},
        },
        "required": ["engine_name", "engine_options"],
        "additionalProperties": False,
    }


@extend_schema_field(
    {
        "type": "array",
        "description": "Each engine at most once: a marengo engine (search, classification) and/or a pegasus "
        "engine (generation, visual and conversation only).",
        "minItems": 1,
        "maxItems": 2,
        "items": {
            "oneOf": [
                _engine(EMBEDDING_ENGINES, ENGINE_OPTIONS),
                _engine(GENERATIVE_ENGINES, ("visual", "conversation")),
            ]
        },
    }
)
class EnginesField(serializers.JSONField):
    """The `engines` list; the service checks it (library/services.py `_clean_engines`)."""


class IndexCreateBody(serializers.Serializer[Any]):
    index_name = serializers.RegexField(NOT_BLANK, max_length=200)
    engines = EnginesField()
    addons = serializers.ListField(child=serializers.ChoiceField(ADDONS), required=False)


class IndexRenameBody(serializers.Serializer[Any]):
    index_name = serializers.RegexField(NOT_BLANK, max_length=200)


class VideoUpdateBody(serializers.Serializer[Any]):
    video_title = serializers.CharField(max_length=500, required=False, allow_blank=True, trim_whitespace=False)
    metadata = MetadataField(required=False)


class TaskUploadBody(serializers.Serializer[Any]):
    index_id = serializers.CharField()
    video_file = serializers.FileField()
    language = serializers.CharField(max_length=10, required=False, allow_blank=True)


class TaskUrlBody(serializers.Serializer[Any]):
    index_id = serializers.CharField()
    video_url = serializers.RegexField(HTTP_URL, max_length=MAX_URL_CHARS)
    language = serializers.CharField(max_length=10, required=False, allow_blank=True)


class ExternalProviderBody(serializers.Serializer[Any]):
    index_id = serializers.CharField()
    url = serializers.RegexField(HTTP_URL, max_length=MAX_URL_CHARS)


class GistBody(serializers.Serializer[Any]):
    video_id = serializers.CharField()
    types = options_field(GIST_TYPES)
    regenerate = serializers.BooleanField(required=False)


class SummarizeBody(serializers.Serializer[Any]):
    video_id = serializers.CharField()
    type = serializers.ChoiceField(SUMMARY_TYPES)
    prompt = serializers.CharField(max_length=MAX_PROMPT_CHARS, required=False, allow_blank=True)
    temperature = serializers.FloatField(min_value=0, max_value=1, required=False)
    regenerate = serializers.BooleanField(required=False)


class GenerateBody(serializers.Serializer[Any]):
    video_id = serializers.CharField()
    prompt = serializers.RegexField(NOT_BLANK, max_length=MAX_PROMPT_CHARS)
    temperature = serializers.FloatField(min_value=0, max_value=1, required=False)
    stream = serializers.BooleanField(required=False, help_text="true: NDJSON events instead of one JSON answer")
    regenerate = serializers.BooleanField(required=False)


# --- query parameters ------------------------------------------------------------------


def paging(*sort_fields: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        OpenApiParameter("page_limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_LIMIT}),
        OpenApiParameter("sort_by", str, enum=list(sort_fields)),
        OpenApiParameter("sort_option", str, enum=["asc", "desc"]),
    ]


TIMES = [OpenApiParameter(name, OpenApiTypes.DATETIME) for name in ("created_at", "updated_at")]
INDEX_LIST = [
    *paging("created_at", "updated_at"),
    OpenApiParameter("_id", str),
    OpenApiParameter("index_name", str),
    OpenApiParameter("engine_family", str, enum=["marengo", "pegasus"]),
    OpenApiParameter("engine_options", str, many=True, enum=list(ENGINE_OPTIONS)),
    *TIMES,
]
VIDEO_LIST = [
    *paging("created_at", "updated_at", "indexed_at"),
    OpenApiParameter("_id", str),
    OpenApiParameter("filename", str),
    *(OpenApiParameter(name, float) for name in ("duration", "fps")),
    *(OpenApiParameter(name, int) for name in ("width", "height", "size")),
    *TIMES,
    OpenApiParameter("indexed_at", OpenApiTypes.DATETIME),
]
TASK_LIST = [
    *paging("created_at", "updated_at"),
    OpenApiParameter("_id", str),
    OpenApiParameter("index_id", str),
    OpenApiParameter("filename", str),
    OpenApiParameter("status", str, many=True, enum=list(TaskStatus.values)),
    OpenApiParameter("duration", float),
    *(OpenApiParameter(name, int) for name in ("width", "height")),
    *TIMES,
]
TIME_WINDOW = [
    OpenApiParameter("start", float, description="seconds, >= 0"),
    OpenApiParameter("end", float, description="seconds, not before start"),
]
PAGE = inline_serializer(
    "CompatPage",
    {"data": serializers.ListField(child=serializers.DictField()), "page_info": serializers.DictField()},
)
ID_ANSWER = inline_serializer("CreatedId", {"_id": serializers.CharField()})
OBJECT = OpenApiTypes.OBJECT
