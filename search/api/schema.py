"""The OpenAPI description of search bodies (the compat and native APIs); like library/api/compat/schema.py,
it only describes what the views accept, with the limits the parsers enforce."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from core.params import MAX_PAGE_LIMIT
from engines.base import ENGINE_OPTIONS
from library.api.compat.schema import NOT_BLANK, SearchFilterField, options_field
from search.calibration import THRESHOLDS
from search.params import MAX_QUERY_CHARS
from search.spec import CONVERSATION_OPTIONS, GROUP_BY, SORT_OPTIONS


class SearchOptionsBody(serializers.Serializer[Any]):
    """What every search takes besides its query (search/params.py)."""

    search_options = options_field(ENGINE_OPTIONS)
    conversation_option = serializers.ChoiceField(CONVERSATION_OPTIONS, required=False)
    group_by = serializers.ChoiceField(GROUP_BY, required=False)
    threshold = serializers.ChoiceField(tuple(THRESHOLDS), required=False)
    operator = serializers.ChoiceField(("or", "and"), required=False)
    filter = SearchFilterField(required=False)
    page_limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_LIMIT, required=False)
    sort_option = serializers.ChoiceField(SORT_OPTIONS, required=False)
    adjust_confidence_level = serializers.FloatField(min_value=0, max_value=1, required=False)


class SearchBody(SearchOptionsBody):
    index_id = serializers.CharField()
    query = serializers.RegexField(NOT_BLANK, max_length=MAX_QUERY_CHARS)


class QueryLeafBody(serializers.Serializer[Any]):
    text = serializers.RegexField(NOT_BLANK, max_length=MAX_QUERY_CHARS)
    search_options = options_field(ENGINE_OPTIONS, required=False)


class CombinedSearchBody(SearchOptionsBody):
    index_id = serializers.CharField()
    query = inline_serializer(
        "CombinedQueryObject",
        {"$or": serializers.ListField(child=QueryLeafBody(), min_length=1, max_length=10)},
        help_text='Sub-queries joined by "$or" (also "$and", "$not" {origin, sub} and "$then"); up to 10 in all.',
    )


class SearchV2Body(SearchOptionsBody):
    """The text form; an image query sends query_media_type=image and query_media_file or query_media_url."""

    index_id = serializers.CharField()
    query_text = serializers.RegexField(NOT_BLANK, max_length=MAX_QUERY_CHARS)
