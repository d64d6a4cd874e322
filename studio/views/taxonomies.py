"""Taxonomies as trees with label counts per node; a node lists the videos of its subtree."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from library.models import Video
from search.public import ThumbnailFinder
from studio import access, labels
from studio.views.common import page_login_required, paginate, query_without_page
from taxonomy.models import Taxonomy
from taxonomy.selectors import label_counts, taxonomies_for_teams

VIDEOS_PER_PAGE = 12


@require_GET
@page_login_required
def taxonomy_list(request: HttpRequest) -> HttpResponse:
    taxonomies = taxonomies_for_teams(access.user_teams(request.user)).select_related("team")
    return render(request, "studio/taxonomies.html", {"taxonomies": taxonomies})


def _tree(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nested nodes from per-node rows in path order (parents before children)."""
    by_id: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for row in rows:
        node = {**row, "children": []}
        by_id[row["node_id"]] = node
        parent = by_id.get(row["parent_id"]) if row["parent_id"] else None
        (parent["children"] if parent else roots).append(node)
    return roots


@require_GET
@page_login_required
def taxonomy_detail(request: HttpRequest, taxonomy_id: int) -> HttpResponse:
    teams = access.user_teams(request.user)
    taxonomy = Taxonomy.objects.visible_to(teams).filter(id=taxonomy_id).select_related("team").first()
    if taxonomy is None:
        raise Http404("No such taxonomy.")
    indexes = [index for index in access.visible_indexes(request.user) if index.team_id == taxonomy.team_id]
    index_id = request.GET.get("index", "")
    scoped = [index for index in indexes if index_id in ("", index.id)]
    totals = {
        node.id: {"node_id": node.id, "name": node.name, "parent_id": node.parent_id, "direct": 0, "videos": 0}
        for node in taxonomy.nodes.order_by("path")
    }
    # A video is in exactly one index, so per-index counts add up to the library's.
    for index in scoped:
        for row in label_counts(index=index, taxonomy=taxonomy):
            totals[row["node_id"]]["direct"] += row["direct"]
            totals[row["node_id"]]["videos"] += row["videos"]
    node = labels.node_for_teams(request.GET.get("node", ""), [taxonomy.team_id])
    if node is not None and node.taxonomy_id != taxonomy.id:
        node = None
    context: dict[str, Any] = {
        "taxonomy": taxonomy,
        "tree": _tree(list(totals.values())),
        "indexes": indexes,
        "index_id": index_id if any(index.id == index_id for index in indexes) else "",
        "node": node,
        "open_paths": _ancestor_ids(node.path) if node else set(),
        "labeled_nodes": sum(1 for row in totals.values() if row["direct"]),
    }
    if node is not None:
        videos = Video.objects.filter(index__in=scoped, indexed_at__isnull=False).select_related("index")
        page = paginate(
            request, labels.with_best_score(videos, labels.labels_in_scope(node=node)), per_page=VIDEOS_PER_PAGE
        )
        thumbnails = ThumbnailFinder([video.id for video in page.object_list], request=request)
        context.update(
            page=page,
            page_query=query_without_page(request),
            videos=[{"video": video, "thumbnail_url": thumbnails.url(video.id, 0.0)} for video in page.object_list],
        )
    return render(request, "studio/taxonomy.html", context)


def _ancestor_ids(path: str) -> set[int]:
    """Ids in a materialised path "/12/40/41/": the branches to open so the selected node shows."""
    return {int(part) for part in path.strip("/").split("/") if part.isdigit()}
