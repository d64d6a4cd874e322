"""Classification results: per video its top classes, score and duration bars, and sample clips.

The seed's results page, over the whole labeled library (every index of the user's
teams, paginated), filterable by index, taxonomy and taxonomy node, exportable as CSV.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.ratelimit import rate_limited
from library.media import media_url
from library.models import Index, Video
from search.public import ThumbnailFinder
from studio import access, labels
from studio.views.common import page_login_required, paginate, query_without_page
from taxonomy.models import Taxonomy, TaxonomyNode
from taxonomy.selectors import export_csv_lines, export_rows, subtree, taxonomies_for_teams

VIDEOS_PER_PAGE = 10


def _scope(request: HttpRequest) -> dict[str, Any]:
    """The filters of the page (and of its CSV export), each checked against the user's teams."""
    teams = access.user_teams(request.user)
    indexes = list(access.visible_indexes(request.user))
    taxonomies = list(taxonomies_for_teams(teams))
    node = labels.node_for_teams(request.GET.get("node", ""), [team.id for team in teams])
    taxonomy = (
        node.taxonomy if node else next((t for t in taxonomies if str(t.id) == request.GET.get("taxonomy")), None)
    )
    index_id = request.GET.get("index", "")
    return {
        "indexes": indexes,
        "taxonomies": taxonomies,
        "index_id": index_id if any(index.id == index_id for index in indexes) else "",
        "taxonomy": taxonomy,
        "node": node,
        "scoped_indexes": [index for index in indexes if index_id in ("", index.id)],
    }


@require_GET
@page_login_required
def classification_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    in_scope = labels.labels_in_scope(
        node=scope["node"], taxonomy_id=scope["taxonomy"].id if scope["taxonomy"] else None
    )
    videos = Video.objects.filter(index__in=scope["scoped_indexes"], indexed_at__isnull=False).select_related("index")
    page = paginate(request, labels.with_best_score(videos, in_scope), per_page=VIDEOS_PER_PAGE)
    page_videos: list[Video] = list(page.object_list)
    by_video = defaultdict(list)
    for label in in_scope.filter(video__in=page_videos).select_related("node", "node__taxonomy"):
        by_video[label.video_id].append(label)
    thumbnails = ThumbnailFinder([video.id for video in page_videos], request=request)
    rows = []
    for video in page_videos:
        top = labels.top_labels(by_video[video.id])
        rows.append(
            {
                "video": video,
                "video_url": media_url(video.file.name, request=request),
                "poster_url": thumbnails.url(video.id, 0.0),
                "classes": top,
                "clips": labels.sample_clips(top),
            }
        )
    context = {
        **scope,
        "rows": rows,
        "page": page,
        "page_query": query_without_page(request),
        "nodes": list(scope["taxonomy"].nodes.order_by("path")) if scope["taxonomy"] else [],
        "export_query": request.GET.urlencode(),
    }
    return render(request, "studio/classification.html", context)


def _export_rows(
    indexes: list[Index], taxonomy: Taxonomy | None, node: TaxonomyNode | None
) -> Iterator[dict[str, Any]]:
    codes = set(subtree(node).values_list("code", flat=True)) if node else None
    for index in indexes:
        for row in export_rows(index=index, taxonomy=taxonomy):
            if codes is None or row["node_code"] in codes:
                yield row


@require_GET
@page_login_required
@rate_limited  # the export reads the whole library
def classification_export(request: HttpRequest) -> StreamingHttpResponse:
    """The labels behind the page's current filters, one CSV row per label (the API export's columns)."""
    scope = _scope(request)
    indexes = [
        index
        for index in scope["scoped_indexes"]
        if not scope["taxonomy"] or index.team_id == scope["taxonomy"].team_id
    ]
    response = StreamingHttpResponse(
        export_csv_lines(_export_rows(indexes, scope["taxonomy"], scope["node"])),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="labels.csv"'
    return response
