"""Request parameters -> `SearchSpec`, with a 400 {code, message} for anything wrong.

One parser serves the JSON bodies of `/search` and `/search/combined`, the multipart
form of `/search-v2` (the SDK's path: lists arrive as repeated fields, `filter` as a
JSON string, an image as a file or a URL) and the native API.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from core import addresses, outbound, params
from core.errors import ApplicationError
from engines.base import ENGINE_OPTIONS, VISUAL
from search.calibration import THRESHOLDS
from search.filters import video_filter
from search.spec import (
    CONVERSATION_OPTIONS,
    GROUP_BY,
    SORT_OPTIONS,
    Leaf,
    Node,
    Query,
    SearchSpec,
    leaves,
)

MAX_PAGE_LIMIT = params.MAX_PAGE_LIMIT
# MiniLM reads at most 256 tokens and CLIP 77: longer text would be cut silently, so say so.
MAX_QUERY_CHARS = 500
# Each sub-query costs one embedding and one pass over the matrices.
MAX_SUBQUERIES = 10
MAX_DEPTH = 6
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# Also accepted for conversation_option: the spelling of older clients.
CONVERSATION_ALIASES = {"exact": "exact_match"}


def _get(data: Any, name: str) -> Any:
    value = data.get(name)
    return None if value == "" else value


def _list(data: Any, name: str) -> list[Any] | None:
    """A list parameter: a JSON array, repeated form fields, or one comma-separated value."""
    if hasattr(data, "getlist"):
        values = data.getlist(name) or data.getlist(f"{name}[]")
        if len(values) == 1 and isinstance(values[0], str) and values[0].startswith("["):
            values = _json(name, values[0])
        elif len(values) == 1 and isinstance(values[0], str):
            values = [v.strip() for v in values[0].split(",")]
        return values or None
    value = _get(data, name)
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def _json(name: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ApplicationError(f"The {name} parameter must be valid JSON.") from None


def _choice(data: Any, name: str, default: str, choices: tuple[str, ...]) -> str:
    return params.choice(_get(data, name), name=name, default=default, allowed=choices)


def _options(values: Any, name: str = "search_options") -> tuple[str, ...]:
    return params.option_list(values, allowed=ENGINE_OPTIONS, name=name, kind="search option")


def _conversation_option(value: Any) -> str:
    return params.choice(
        value,
        name="conversation_option",
        default="semantic",
        allowed=CONVERSATION_OPTIONS,
        aliases=CONVERSATION_ALIASES,
    )


def _text(value: Any, name: str = "query") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApplicationError(
            f'The {name} parameter must be a non-empty text: what to look for, e.g. "a man drinks Coca Cola".',
            code="parameter_not_provided" if value in (None, "") else "parameter_invalid",
        )
    if len(value) > MAX_QUERY_CHARS:
        raise ApplicationError(f"The {name} parameter is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    return value.strip()


def parse_query(value: Any, *, depth: int = 0) -> Query:
    """A text, or a combined query: {"text", "search_options"?, "conversation_option"?} leaves
    joined by {"$and": [...]}, {"$or": [...]}, {"$then": [...]} or {"$not": {"origin", "sub"}}."""
    if depth > MAX_DEPTH:
        raise ApplicationError(f"The combined query nests deeper than {MAX_DEPTH} levels.")
    if isinstance(value, str) or value is None:
        return Leaf(text=_text(value))
    if not isinstance(value, dict) or not value:
        raise ApplicationError("The query must be a text or a combined-query object.")
    operators = [key for key in value if key.startswith("$")]
    if operators:
        if len(value) != 1:
            raise ApplicationError("A combined-query object holds exactly one operator ($and, $or, $not, $then).")
        operator = operators[0][1:]
        body = value[operators[0]]
        if operator == "not":
            if not isinstance(body, dict) or set(body) != {"origin", "sub"}:
                raise ApplicationError('$not takes {"origin": <query>, "sub": <query>}.')
            children: tuple[Leaf | Node, ...] = (
                parse_query(body["origin"], depth=depth + 1),
                parse_query(body["sub"], depth=depth + 1),
            )
        elif operator in ("and", "or", "then"):
            if not isinstance(body, list) or not body:
                raise ApplicationError(f"${operator} takes a non-empty list of queries.")
            children = tuple(parse_query(child, depth=depth + 1) for child in body)
        else:
            raise ApplicationError(f"Unknown operator {operators[0]!r}; use $and, $or, $not or $then.")
        return Node(operator=operator, children=children)
    unknown = set(value) - {"text", "search_options", "conversation_option"}
    if unknown:
        raise ApplicationError(f"Unknown key(s) in a query: {', '.join(sorted(unknown))}.", code="parameter_unknown")
    options = value.get("search_options")
    conversation = value.get("conversation_option")
    return Leaf(
        text=_text(value.get("text"), "query text"),
        options=_options(options) if options is not None else None,
        conversation_option=_conversation_option(conversation) if conversation is not None else None,
    )


def _page_limit(data: Any) -> int:
    return params.page_limit(_get(data, "page_limit"), maximum=MAX_PAGE_LIMIT)


def _confidence_level(data: Any) -> float:
    raw = _get(data, "adjust_confidence_level")
    if raw is None:
        return 0.5
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise ApplicationError("The adjust_confidence_level parameter must be a number between 0 and 1.")
    return value


def _filter(data: Any) -> dict[str, Any]:
    raw = _get(data, "filter")
    value = _json("filter", raw) if isinstance(raw, str) else raw
    video_filter(value)  # validates now, so a bad filter is a 400 before any search runs
    return value or {}


def parse_spec(data: Any, *, query: Query, index_ids: list[str]) -> SearchSpec:
    """Everything but the query and the index, from a JSON body or a form."""
    options = _list(data, "search_options")
    spec = SearchSpec(
        query=query,
        index_ids=tuple(index_ids),
        options=_options(options),
        conversation_option=_conversation_option(_get(data, "conversation_option") or "semantic"),
        operator=_choice(data, "operator", "or", ("or", "and")),
        threshold=_choice(data, "threshold", "low", tuple(THRESHOLDS)),
        group_by=_choice(data, "group_by", "clip", GROUP_BY),
        sort_option=_choice(data, "sort_option", "score", SORT_OPTIONS),
        page_limit=_page_limit(data),
        adjust_confidence_level=_confidence_level(data),
        filter=_filter(data),
    )
    _check_size(spec.query)
    return spec


def _check_size(query: Query) -> None:
    if len(leaves(query)) > MAX_SUBQUERIES:
        raise ApplicationError(f"A combined query may hold at most {MAX_SUBQUERIES} sub-queries.")


def image_query(data: Any, files: Any) -> Leaf:
    """The image of a search-v2 `query_media_type=image` request (a file or a URL)."""
    upload = files.get("query_media_file") if files is not None else None
    url = _get(data, "query_media_url")
    if (upload is None) == (url is None):
        raise ApplicationError(
            "An image query needs exactly one of query_media_file (the image) or query_media_url.",
            code="parameter_not_provided" if upload is None else "parameter_invalid",
        )
    content = _read_upload(upload) if upload is not None else _fetch(str(url))
    if not content:
        raise ApplicationError("The query image is empty.")
    return Leaf(image=content)


def _read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > MAX_IMAGE_BYTES:
        raise ApplicationError(f"The query image is larger than {MAX_IMAGE_BYTES // 2**20} MB.")
    return upload.read()


def _fetch(url: str) -> bytes:
    """Fetch the query image in this (web) process, through the guarded fetcher."""
    try:
        result = outbound.fetch(
            url,
            deadline=settings.FRAMEWISE_URL_TIMEOUT,
            max_bytes=MAX_IMAGE_BYTES,
            allow=addresses.allowed_for("search_media"),
        )
    except outbound.OutboundError as exc:
        raise outbound.refusal(
            exc, field="query_media_url", unreachable_code="media_url_unreachable", too_large_code="parameter_invalid"
        ) from None
    if result.status >= 300:
        raise ApplicationError(
            f"The query_media_url was answered with HTTP status {result.status}; give a reachable image URL.",
            code="media_url_unreachable",
        )
    return result.content or b""


def image_options(options: tuple[str, ...]) -> None:
    if set(options) != {VISUAL}:
        raise ApplicationError(
            'An image query searches the visual option only: set search_options to ["visual"].',
        )


# The v1.3 search (images of a composed query) and embed-v2 read query images the same way.
fetch_image = _fetch
read_image = _read_upload
