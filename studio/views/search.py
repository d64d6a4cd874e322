"""Search every index of the user's teams at once; each result plays its moment in place."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.errors import ApplicationError
from core.ratelimit import rate_limited
from engines.base import ENGINE_OPTIONS
from library.media import media_url
from library.models import Index, Video
from search.public import Leaf, Moment, SearchSpec, ThumbnailFinder, search_run
from studio import access
from studio.views.common import page_login_required, query_without_page

RESULTS_PER_PAGE = 12
OPTION_LABELS = {
    "visual": "Visual",
    "conversation": "Speech",
    "text_in_video": "On-screen text",
    "logo": "Logos",
}
THRESHOLD_LABELS = {"low": "Low and up", "medium": "Medium and up", "high": "High only"}


class SearchForm(forms.Form):
    q = forms.CharField(max_length=500, required=False, strip=True)
    options = forms.MultipleChoiceField(choices=[(o, OPTION_LABELS[o]) for o in ENGINE_OPTIONS], required=False)
    conversation_option = forms.ChoiceField(
        choices=[("semantic", "By meaning"), ("exact_match", "Exact words")], required=False
    )
    threshold = forms.ChoiceField(choices=list(THRESHOLD_LABELS.items()), required=False)
    index = forms.ChoiceField(required=False)

    def __init__(self, data: Any, *, indexes: list[Index]) -> None:
        super().__init__(data)
        choice = self.fields["index"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [("", "All indexes")] + [(index.id, index.name) for index in indexes]


@require_GET
@page_login_required
@rate_limited  # a search can run the text models over every index: the API's limit holds here too
def search_page(request: HttpRequest) -> HttpResponse:
    indexes = list(access.visible_indexes(request.user))
    form = SearchForm(request.GET, indexes=indexes)
    form.is_valid()
    cleaned = form.cleaned_data
    query = cleaned.get("q", "")
    # Unchecked boxes are absent from a GET form: before the first search, every option is on.
    options = cleaned.get("options") or ([] if query else list(ENGINE_OPTIONS))
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "options": options,
        "option_labels": OPTION_LABELS,
        "threshold": cleaned.get("threshold") or "low",
        "threshold_labels": THRESHOLD_LABELS,
        "conversation_option": cleaned.get("conversation_option") or "semantic",
        "indexes": indexes,
        "index_id": cleaned.get("index", ""),
        "page_query": query_without_page(request),
    }
    if query and form.is_valid():
        context.update(_run(request, context))
    elif query:
        context["error"] = next(iter(form.errors.values()))[0]
    return render(request, "studio/search.html", context)


def _run(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    if not context["options"]:
        return {"error": "Choose at least one option to search with."}
    searched = [index for index in context["indexes"] if context["index_id"] in ("", index.id)]
    if not searched:
        return {"error": "You have no index to search yet."}
    spec = SearchSpec(
        query=Leaf(text=context["query"]),
        index_ids=tuple(index.id for index in searched),
        options=tuple(context["options"]),
        conversation_option=context["conversation_option"],
        threshold=context["threshold"],
        page_limit=RESULTS_PER_PAGE,
    )
    try:
        # Lenient: each index is searched with the chosen options it has; none is an error.
        outcome = search_run(spec=spec, indexes=searched, lenient=True)
    except ApplicationError as error:
        return {"error": error.message}
    page = Paginator(range(outcome.total_results), RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    moments = outcome.page(offset=page.start_index() - 1, limit=RESULTS_PER_PAGE) if outcome.total_results else []
    clips = [moment for moment in moments if isinstance(moment, Moment)]  # the page searches clips, never groups
    return {"page": page, "results": _results(request, clips), "total": outcome.total_results}


def _results(request: HttpRequest, moments: list[Moment]) -> list[dict[str, Any]]:
    videos = Video.objects.in_bulk({moment.video_id for moment in moments})
    thumbnails = ThumbnailFinder(videos, request=request)
    results = []
    for moment in moments:
        video = videos.get(moment.video_id)
        if video is None:  # deleted since the index's matrices were built
            continue
        results.append(
            {
                "moment": moment,
                "video": video,
                "video_url": media_url(video.file.name, request=request),
                "thumbnail_url": thumbnails.url(video.id, (moment.start + moment.end) / 2),
                "matches": [(OPTION_LABELS.get(option, option), text) for option, text in moment.metadata],
            }
        )
    return results
