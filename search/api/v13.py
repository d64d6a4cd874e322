"""`POST /v1.3/search`, its pages, and `POST /v1.3/embed-v2` (+ tasks), as the v1.3 SDK calls them.

Search only translates: v1.3's modalities become Framewise's options and the query becomes a
query tree of library/search/spec.py, which the one search service (library/search/query.py)
runs exactly as it runs /v1.2 searches: same scoring, thresholds, filters, grouping and page
tokens. The translation:

* `visual` searches visual + text_in_video + logo (Marengo 3.0's visual modality sees on-screen
  text and logos; Framewise indexes them as their own options), those the index has;
* `audio` searches conversation (semantic): Framewise has no model of non-speech sound;
* `transcription` searches conversation with `transcription_options` `lexical` (exact_match)
  and/or `semantic` (both by default, as in v1.3);
* `operator` joins the modalities (`or`: any; `and`: a moment all of them find);
* images (`query_media_type=image`, up to 10 files or URLs; URLs win, as in v1.3) search
  `visual`; with `query_text` too, each image is composed with the text into one visual query
  (their vectors added), the text alone searching the other modalities.

Results keep Framewise's `score` and `confidence` as extra fields beside `rank` (1 = best).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.urls import URLPattern
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from engines.base import CONVERSATION, VISUAL
from library.api.compat.common import iso, route
from library.api.v13.common import V13View, form_bool
from library.api.v13.options import EMBEDDING_OPTIONS
from library.models import Index, Video
from search import tokens
from search.api.compat import first_page, thumbnail_urls
from search.api.v13_embed import EmbedTasksView, EmbedTaskView, EmbedView
from search.params import MAX_QUERY_CHARS, fetch_image, parse_spec, read_image
from search.query import Moment, SearchOutcome, VideoGroup, search_run
from search.spec import Leaf, Node, Query, SearchSpec

MODALITIES = ("visual", "audio", "transcription")
TRANSCRIPTION_OPTIONS = {"lexical": "exact_match", "semantic": "semantic"}
MAX_IMAGES = 10
FIELDS = {
    "index_id", "search_options", "transcription_options", "query_text", "query_media_type", "query_media_url",
    "query_media_file", "group_by", "operator", "page_limit", "filter", "include_user_metadata",
    # Sent by the 1.3 SDK's search.query when given (v1.2's knobs); Framewise honours them.
    "threshold", "sort_option", "adjust_confidence_level",
}  # fmt: skip
TOKEN = r"(?P<page_token>[^/]+)"
# The text form; images and the filter are in the operation's description (a generated image or
# filter would be a request the schema cannot tell apart from a wrong one).
SEARCH_BODY = inline_serializer(
    "V13SearchBody",
    {
        "index_id": serializers.CharField(),
        "search_options": serializers.ListField(child=serializers.ChoiceField(choices=MODALITIES), min_length=1),
        "transcription_options": serializers.ListField(
            child=serializers.ChoiceField(choices=tuple(TRANSCRIPTION_OPTIONS)), required=False
        ),
        "query_text": serializers.RegexField(r"\S", max_length=MAX_QUERY_CHARS),
        "group_by": serializers.ChoiceField(choices=("clip", "video"), required=False),
        "operator": serializers.ChoiceField(choices=("or", "and"), required=False),
        "page_limit": serializers.IntegerField(required=False, min_value=1, max_value=50),
        "include_user_metadata": serializers.BooleanField(required=False),
    },
)
SEARCH_PAGE = inline_serializer(
    "V13SearchPage",
    {
        "data": serializers.ListField(child=serializers.DictField()),
        "page_info": serializers.DictField(),
        "search_pool": serializers.DictField(),
    },
)


def _data(request: Request) -> Any:
    """The form (a QueryDict for multipart, as the SDK always sends)."""
    return request.data


def _values(request: Request, name: str) -> list[Any]:
    """Every value of a repeated multipart field (the SDK repeats lists), blanks dropped."""
    data = _data(request)
    values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
    if values is None:
        return []
    values = values if isinstance(values, list) else [values]
    return [v.strip() if isinstance(v, str) else v for v in values if v not in (None, "")]


def _choices(request: Request, name: str, allowed: tuple[str, ...]) -> list[str]:
    chosen: list[str] = []
    for value in _values(request, name):
        for item in str(value).split(","):  # also one comma-separated value
            item = item.strip()
            if item not in allowed:
                raise ApplicationError(f"The {name} parameter takes {', '.join(allowed)}; {item!r} is not one of them.")
            if item not in chosen:
                chosen.append(item)
    return chosen


def _images(request: Request) -> list[bytes]:
    """The query images: the URLs (through the guarded fetcher) if any, else the uploaded files."""
    urls = _values(request, "query_media_url")
    files = request.FILES.getlist("query_media_file")
    count = len(urls) or len(files)
    if count > MAX_IMAGES:
        raise ApplicationError(f"A search takes at most {MAX_IMAGES} images; this one has {count}.")
    images = [fetch_image(str(url)) for url in urls] if urls else [read_image(upload) for upload in files]
    if any(not image for image in images):
        raise ApplicationError("A query image is empty.")
    return images


def _enabled(index: Index, options: tuple[str, ...], modality: str) -> tuple[str, ...]:
    found = tuple(option for option in options if option in index.embedding_options)
    if not found:
        raise ApplicationError(
            f"The index {index.id} was created without the options the {modality} modality searches "
            f"({', '.join(options)}); search it with another modality or create an index with them.",
            code="index_option_not_enabled",
        )
    return found


def _either(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Node("or", tuple(queries))


def v13_query(request: Request, index: Index) -> Query:
    """The query tree of a v1.3 search request (see the module's docstring)."""
    modalities = _choices(request, "search_options", MODALITIES)
    if not modalities:
        raise ApplicationError("The search_options parameter is required.", code="parameter_not_provided")
    text = str(_data(request).get("query_text") or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise ApplicationError(f"The query_text parameter is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    if "<@" in text:
        raise ApplicationError(
            "Entity search (<@entity_id> in query_text) is not supported by Framewise.", code="feature_not_supported"
        )
    media_type = _data(request).get("query_media_type") or None
    has_media = bool(_values(request, "query_media_url") or request.FILES.getlist("query_media_file"))
    if media_type not in (None, "image"):
        raise ApplicationError('The query_media_type parameter must be "image".')
    if has_media and media_type is None:
        raise ApplicationError("An image query needs query_media_type=image.", code="parameter_not_provided")
    images = _images(request) if media_type == "image" else []
    if media_type == "image" and not images:
        raise ApplicationError(
            "query_media_type=image needs query_media_url or query_media_file.", code="parameter_not_provided"
        )
    if not text and not images:
        raise ApplicationError(
            "The query_text parameter is required for a text search (or send images with query_media_type=image).",
            code="parameter_not_provided",
        )
    lexical = _choices(request, "transcription_options", tuple(TRANSCRIPTION_OPTIONS)) or list(TRANSCRIPTION_OPTIONS)
    per_modality: list[Query] = []
    for modality in modalities:
        if modality == "visual":
            # The same table the index endpoints read `model_options` with (visual, on-screen text, logos).
            options = _enabled(index, EMBEDDING_OPTIONS["visual"], modality)
            queries: list[Query] = []
            if images:
                _enabled(index, (VISUAL,), "image")
                # Composed: the text rides along with each image into the visual vector (scoring.py).
                queries += [Leaf(text=text, image=image, options=(VISUAL,)) for image in images]
                rest = tuple(option for option in options if option != VISUAL)
                if text and rest:
                    queries.append(Leaf(text=text, options=rest))
            else:
                queries.append(Leaf(text=text, options=options))
            per_modality.append(_either(queries))
            continue
        if not text:
            raise ApplicationError(
                f"An image query searches the visual modality only; {modality} needs query_text.",
            )
        _enabled(index, EMBEDDING_OPTIONS["audio"], modality)
        if modality == "audio":
            per_modality.append(Leaf(text=text, options=(CONVERSATION,), conversation_option="semantic"))
        else:
            per_modality.append(
                _either(
                    [
                        Leaf(text=text, options=(CONVERSATION,), conversation_option=TRANSCRIPTION_OPTIONS[option])
                        for option in lexical
                    ]
                )
            )
    operator = _data(request).get("operator") or "or"
    if operator not in ("or", "and"):
        raise ApplicationError('The operator parameter must be "or" or "and".')
    return per_modality[0] if len(per_modality) == 1 else Node(operator, tuple(per_modality))


def _spec(request: Request, index: Index, query: Query) -> SearchSpec:
    """Paging, grouping and filter as /v1.2 parses them; options only as the leaves name them."""
    used = sorted({option for leaf in _leaves(query) for option in leaf.options or ()})
    common = {
        "search_options": used,
        "group_by": _data(request).get("group_by") or None,
        "page_limit": _data(request).get("page_limit") or None,
        "filter": _data(request).get("filter") or None,
        "threshold": _data(request).get("threshold") or None,
        "sort_option": _data(request).get("sort_option") or None,
        "adjust_confidence_level": _data(request).get("adjust_confidence_level") or None,
    }
    # The tree's own size is bounded here (modalities x transcription options + images); the
    # /v1.2 sub-query limit counts the placeholder.
    spec = parse_spec({k: v for k, v in common.items() if v is not None}, query=Leaf(text="-"), index_ids=[index.id])
    return replace(spec, query=query)


def _leaves(query: Query) -> list[Leaf]:
    return [query] if isinstance(query, Leaf) else [leaf for child in query.children for leaf in _leaves(child)]


def _clip(moment: Moment, rank: int, thumbnails: dict[tuple[str, float], str | None], metadata: Any) -> dict[str, Any]:
    spoken = next((text for option, text in moment.metadata if option == CONVERSATION and text), None)
    item: dict[str, Any] = {
        "video_id": moment.video_id,
        "start": moment.start,
        "end": moment.end,
        "rank": rank,
        "thumbnail_url": thumbnails.get((moment.video_id, moment.start)),
        # Framewise's own measures, kept beside the rank (extra fields; the SDK keeps them).
        "score": moment.score,
        "confidence": moment.confidence,
        "modules": [{"type": option, "confidence": confidence} for option, confidence in moment.modules],
    }
    if spoken:
        item["transcription"] = spoken
    if metadata is not None:
        item["user_metadata"] = metadata.get(moment.video_id) or {}
    return item


def page_json(outcome: SearchOutcome, cursor: tokens.PageCursor, request: Request, *, metadata: bool) -> dict:
    """One page as v1.3 answers it: `rank` counts from the first page; the last page has no next token."""
    limit = outcome.spec.page_limit
    page = outcome.page(offset=cursor.offset, limit=limit)
    moments = [clip for item in page for clip in (item.clips if isinstance(item, VideoGroup) else (item,))]
    thumbnails = thumbnail_urls(moments, request)
    users = (
        dict(Video.objects.filter(id__in={m.video_id for m in moments}).values_list("id", "user_metadata"))
        if metadata
        else None
    )
    data = []
    for position, item in enumerate(page, start=cursor.offset + 1):
        if isinstance(item, VideoGroup):
            clips = [_clip(clip, n, thumbnails, users) for n, clip in enumerate(item.clips, start=1)]
            group: dict[str, Any] = {"id": item.video_id, "rank": position, "clips": clips}
            if users is not None:
                group["user_metadata"] = users.get(item.video_id) or {}
            data.append(group)
        elif isinstance(item, Moment):
            data.append(_clip(item, position, thumbnails, users))
    after = cursor.offset + limit
    page_info: dict[str, Any] = {
        "limit_per_page": limit,
        "total_results": outcome.total_results,
        "page_expires_at": iso(cursor.expires_at_datetime),
    }
    if outcome.more_after(after):
        # Absent on the last page: the SDK follows the token while there is one ("" would fetch GET search/).
        page_info["next_page_token"] = tokens.encode(cursor.moved(after))
    pool = outcome.pools()[0]
    return {
        "data": data,
        "page_info": page_info,
        "search_pool": {
            "total_count": pool.total_count,
            "total_duration": pool.total_duration,
            "index_id": pool.index_id,
        },
    }


class SearchView(V13View):
    """POST /v1.3/search: always multipart (the SDK forces it), text, images or both."""

    @extend_schema(
        operation_id="v1.3_search",
        request={"multipart/form-data": SEARCH_BODY},
        responses=SEARCH_PAGE,
        description=(
            "Also accepted: images (query_media_type=image with up to 10 query_media_file or query_media_url; "
            "with query_text they are composed), filter (a JSON object as text: id, duration, ... or user "
            "metadata), threshold, sort_option and adjust_confidence_level (v1.2's knobs)."
        ),
    )
    def post(self, request: Request) -> Response:
        unknown = sorted((set(request.data) | set(request.FILES)) - FIELDS - {"dummy"})
        if unknown:
            raise ApplicationError(f"Unknown parameter(s): {', '.join(unknown)}.", code="parameter_unknown")
        index_id = _data(request).get("index_id")
        if not index_id:
            raise ApplicationError("The index_id parameter is required.", code="parameter_not_provided")
        index = self.get_index(str(index_id))
        spec = _spec(request, index, v13_query(request, index))
        metadata = form_bool(_data(request).get("include_user_metadata"), name="include_user_metadata")
        outcome, cursor = first_page(spec, index, [team.pk for team in self.teams()])
        return Response(page_json(outcome, cursor, request, metadata=metadata))


class PageView(V13View):
    """GET /v1.3/search/{page_token}: the page a token points at."""

    @extend_schema(operation_id="v1.3_search_page", responses=SEARCH_PAGE)
    def get(self, request: Request, page_token: str) -> Response:
        cursor = tokens.decode(page_token, team_ids=[team.pk for team in self.teams()])
        index = self.get_index(cursor.spec.index_ids[0])
        outcome = search_run(spec=cursor.spec, indexes=[index], need=cursor.offset + cursor.spec.page_limit)
        metadata = form_bool(request.query_params.get("include_user_metadata"), name="include_user_metadata")
        return Response(page_json(outcome, cursor, request, metadata=metadata))


urlpatterns: list[URLPattern] = [
    route("search", SearchView, "v13-search"),
    route(f"search/{TOKEN}", PageView, "v13-search-page"),
    route("embed-v2", EmbedView, "v13-embed-v2"),
    route("embed-v2/tasks", EmbedTasksView, "v13-embed-v2-tasks"),
    route(f"embed-v2/tasks/{TOKEN.replace('page_token', 'task_id')}", EmbedTaskView, "v13-embed-v2-task"),
]
