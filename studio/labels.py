"""Labels as the pages show them: filter choices, a video's top classes and their sample clips.

The taxonomy app owns labels and their reads (taxonomy/selectors.py); this module only
shapes them for pages: which classes to show first and which clips make good samples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery

from library.models import Index, Video
from taxonomy.models import TaxonomyNode, VideoLabel
from taxonomy.selectors import subtree

TOP_CLASSES = 3
# The seed's results page: clips of three distinct prompts give a feel for why a class fits.
SAMPLE_PROMPTS = 3


@dataclass(frozen=True)
class LabelChoice:
    node_id: int
    name: str
    videos: int


def label_choices(index: Index) -> list[LabelChoice]:
    """Nodes with at least one visible label in the index, for the index page's label filter."""
    rows = (
        VideoLabel.objects.visible()
        .filter(video__index=index)
        .values("node_id", "node__name_path", "node__taxonomy__name")
        .annotate(videos=Count("video", distinct=True))
        .order_by("node__taxonomy__name", "node__path")
    )
    return [
        LabelChoice(row["node_id"], f"{row['node__taxonomy__name']} › {row['node__name_path']}", row["videos"])
        for row in rows
    ]


def node_for_teams(node_id: Any, team_ids: Iterable[int]) -> TaxonomyNode | None:
    """The node if it belongs to one of the teams; None for a malformed or foreign id."""
    if not str(node_id).isdigit():
        return None
    return TaxonomyNode.objects.visible_to(team_ids).select_related("taxonomy").filter(id=int(node_id)).first()


def labeled_with(videos: QuerySet[Video], node: TaxonomyNode) -> QuerySet[Video]:
    """The videos carrying the node or any node below it (rejected labels do not count)."""
    labels = VideoLabel.objects.visible().filter(node__in=subtree(node))
    return videos.filter(id__in=labels.values("video_id"))


def labels_in_scope(*, node: TaxonomyNode | None = None, taxonomy_id: int | None = None) -> QuerySet[VideoLabel]:
    labels = VideoLabel.objects.visible()
    if node is not None:
        return labels.filter(node__in=subtree(node))
    if taxonomy_id is not None:
        return labels.filter(node__taxonomy_id=taxonomy_id)
    return labels


def with_best_score(videos: QuerySet[Video], labels: QuerySet[VideoLabel]) -> QuerySet[Video]:
    """Videos that have one of `labels`, annotated with the best score among them (best first)."""
    best = labels.filter(video=OuterRef("pk")).values("video").annotate(best=Max("score")).values("best")
    return (
        videos.filter(id__in=labels.values("video_id"))
        .annotate(best_score=Subquery(best))
        # Unscored (hand-added) labels last on every database: PostgreSQL sorts NULL first by default.
        .order_by(F("best_score").desc(nulls_last=True), "filename", "id")
    )


def top_labels(labels: Iterable[VideoLabel], limit: int | None = TOP_CLASSES) -> list[VideoLabel]:
    """The strongest classes first; labels without a score (hand-added) after the scored ones."""
    return sorted(labels, key=lambda label: (label.score is None, -(label.score or 0.0), label.node.name_path))[:limit]


def sample_clips(labels: Iterable[VideoLabel], prompts: int = SAMPLE_PROMPTS) -> list[dict[str, Any]]:
    """The best clip of each of up to `prompts` distinct prompts, over the given labels' evidence."""
    clips = sorted(
        (clip | {"class_name": label.node.name} for label in labels for clip in label.clips),
        key=lambda clip: -clip["score"],
    )
    samples: list[dict[str, Any]] = []
    seen: set[str] = set()
    for clip in clips:
        if clip["prompt"] not in seen:
            seen.add(clip["prompt"])
            samples.append(clip)
        if len(samples) == prompts:
            break
    return samples
