"""Reads shared by the APIs and the admin: result pages, labeled libraries, label counts and exports."""

from __future__ import annotations

import bisect
import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.errors import ApplicationError, NotFound
from core.models import Team
from engines.generation.base import Label
from library.models import Index, Video
from library.spreadsheet import safe_row
from search.public import ThumbnailFinder
from taxonomy.models import ClassifyResultSet, Taxonomy, TaxonomyNode, VideoLabel

# --- /classify pages ---------------------------------------------------------------------------


def page_token(result_set: ClassifyResultSet, page: int) -> str:
    return f"{result_set.id}-{page}"


def classify_result_page(*, token: str, teams: list[Team]) -> tuple[ClassifyResultSet, int]:
    set_id, _, page_text = token.rpartition("-")
    if not set_id or not page_text.isdigit() or int(page_text) < 1:
        raise NotFound(f"The page token {token} is not valid.")
    result_set = ClassifyResultSet.objects.visible_to(teams).filter(id=set_id).first()
    if result_set is None:
        raise NotFound(f"The page token {token} is not valid.")
    if result_set.expires_at < timezone.now():
        raise ApplicationError(
            f"The page token {token} expired at {result_set.expires_at:%Y-%m-%dT%H:%M:%SZ}; classify again.",
            code="token_expired",
        )
    page = int(page_text)
    if (page - 1) * result_set.page_limit >= max(len(result_set.results), 1):
        raise NotFound(f"The page token {token} points past the last page.")
    return result_set, page


def attach_clip_thumbnails(data: list[dict[str, Any]], *, request: HttpRequest | None) -> None:
    """Give each clip of a page the URL of the video's thumbnail nearest to it (None without thumbnails)."""
    video_ids = {row["video_id"] for row in data if any("clips" in c for c in row["classes"])}
    if not video_ids:
        return
    finder = ThumbnailFinder(video_ids, request=request)
    for row in data:
        for cls in row["classes"]:
            for clip in cls.get("clips", []):
                clip["thumbnail_url"] = finder.url(row["video_id"], clip["start"], clip["end"]) or None


# --- Labeled libraries ----------------------------------------------------------------------------


def taxonomies_for_teams(teams: list[Team]) -> QuerySet[Taxonomy]:
    return Taxonomy.objects.visible_to(teams).annotate(node_count=Count("nodes")).order_by("name")


def subtree(node: TaxonomyNode) -> QuerySet[TaxonomyNode]:
    """The node and all its descendants."""
    return TaxonomyNode.objects.filter(taxonomy_id=node.taxonomy_id, path__startswith=node.path)


def visible_labels_in_subtree(node: TaxonomyNode) -> QuerySet[VideoLabel]:
    return VideoLabel.objects.visible().filter(node__in=subtree(node))


def videos_labeled(*, index: Index, node: TaxonomyNode) -> QuerySet[Video]:
    """Ready videos of the index carrying the node or any node below it (rejected labels excluded)."""
    labels = visible_labels_in_subtree(node).filter(video__index=index)
    return index.videos.filter(indexed_at__isnull=False, id__in=labels.values("video_id"))


def labels_of_video(video: Video, *, include_rejected: bool = False) -> QuerySet[VideoLabel]:
    labels = VideoLabel.objects.filter(video=video).select_related("node", "node__taxonomy", "run", "decided_by")
    if not include_rejected:
        labels = labels.visible()
    return labels.order_by("node__taxonomy__name", "node__path")


def label_counts(*, index: Index, taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Per node: videos labeled directly, and videos labeled anywhere in its subtree.

    One grouped query gives the direct counts; subtree counts are distinct videos over
    each node's subtree, computed from the (video, path) pairs in memory.
    """
    nodes = list(taxonomy.nodes.order_by("path"))
    pairs = (
        VideoLabel.objects.visible()
        .filter(node__taxonomy=taxonomy, video__index=index, video__indexed_at__isnull=False)
        .values_list("video_id", "node__path")
    )
    by_path: dict[str, set[str]] = defaultdict(set)
    for video_id, path in pairs:
        by_path[path].add(video_id)
    paths = sorted(by_path)
    counts = []
    for node in nodes:
        first = bisect.bisect_left(paths, node.path)
        videos: set[str] = set()
        for path in paths[first:]:
            if not path.startswith(node.path):
                break
            videos |= by_path[path]
        counts.append(
            {
                "node_id": node.id,
                "code": node.code,
                "name": node.name,
                "path": node.name_path,
                "depth": node.depth,
                "parent_id": node.parent_id,
                "direct": len(by_path.get(node.path, ())),
                "videos": len(videos),
            }
        )
    return counts


EXPORT_FIELDS = [
    "video_id",
    "filename",
    "taxonomy",
    "node_code",
    "node_name",
    "node_path",
    "depth",
    "origin",
    "decision",
    "score",
    "duration_ratio",
    "max_score",
    "avg_score",
    "normalized_score",
    "clips",
    "run_id",
    "updated_at",
]


def export_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """An export row as a CSV row: clips as JSON, text cells safe from spreadsheet formulas."""
    return safe_row({**row, "clips": json.dumps(row["clips"])})


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def export_csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The export as CSV text, a line at a time (for a StreamingHttpResponse: never all in memory)."""
    writer = csv.DictWriter(_Echo(), fieldnames=EXPORT_FIELDS)
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow(export_csv_row(row))


def export_rows(
    *, index: Index, taxonomy: Taxonomy | None = None, include_rejected: bool = False
) -> Iterator[dict[str, Any]]:
    """One row per label of the index's videos, in a stable order, for CSV and JSON export."""
    labels = VideoLabel.objects.filter(video__index=index).select_related("video", "node", "node__taxonomy")
    if taxonomy is not None:
        labels = labels.filter(node__taxonomy=taxonomy)
    if not include_rejected:
        labels = labels.visible()
    for label in labels.order_by("video__filename", "video_id", "node__taxonomy__name", "node__path").iterator(
        chunk_size=1000
    ):
        yield {
            "video_id": label.video_id,
            "filename": label.video.filename,
            "taxonomy": label.node.taxonomy.name,
            "node_code": label.node.code,
            "node_name": label.node.name,
            "node_path": label.node.name_path,
            "depth": label.node.depth,
            "origin": label.origin,
            "decision": label.decision or "",
            "score": label.score,
            "duration_ratio": label.duration_ratio,
            "max_score": label.max_score,
            "avg_score": label.avg_score,
            "normalized_score": label.normalized_score,
            "clips": label.clips,
            "run_id": label.run_id or "",
            "updated_at": label.updated_at.isoformat(),
        }


def generation_labels(video: Video, limit: int) -> tuple[Label, ...]:
    """A video's labels for generators (library/generation/context.py): editors' decisions first, then by score."""
    rows = list(VideoLabel.objects.visible().filter(video=video).select_related("node"))
    rows.sort(key=lambda row: (not row.is_editor_decided, -(row.score if row.score is not None else 0.0)))
    return tuple(
        Label(row.node.name, 100.0 if row.score is None else float(row.score))
        for row in rows[:limit]
        if row.score is not None or row.is_editor_decided
    )
