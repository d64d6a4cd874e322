"""Ad-hoc classification (`/classify`, `/classify/bulk`): the service beside `search_run`.

The whole result is computed at once (scoring is a few matrix products over the indexes'
matrices), merged into one ranking and stored as a ClassifyResultSet, which is then served
page by page: page tokens name the set and the page, so paging never re-scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.errors import ApplicationError
from core.models import Team
from core.rules import Actor, check
from library.models import Index
from search.public import index_matrices
from taxonomy.classify import VideoClasses, classify_videos
from taxonomy.commands import TaxonomyCommand
from taxonomy.models import ClassifyResultSet
from taxonomy.params import ClassSpec
from taxonomy.scoring import Thresholds


@dataclass(frozen=True)
class AdhocRequest:
    specs: list[ClassSpec]
    thresholds: Thresholds
    include_clips: bool = False
    detailed: bool = False
    page_limit: int = 10


def _check_options(index: Index, specs: list[ClassSpec]) -> None:
    wanted = {option for spec in specs for option in spec.options}
    missing = sorted(wanted - index.embedding_options)
    if missing:
        raise ApplicationError(
            f"The index {index.id} was not created with the option(s) {', '.join(missing)}; "
            f"its options are {', '.join(sorted(index.embedding_options)) or 'none'}.",
            code="index_option_unavailable",
        )


def _video_json(item: VideoClasses, *, include_clips: bool, detailed: bool) -> dict[str, Any]:
    classes = []
    for found in item.classes:
        entry: dict[str, Any] = {"name": found.name, "score": found.score, "duration_ratio": found.duration_ratio}
        if include_clips:
            entry["clips"] = [
                {"start": c.start, "end": c.end, "score": c.score, "option": c.option, "prompt": c.prompt}
                for c in found.clips
            ]
        if detailed:
            entry["detailed_scores"] = {
                "max_score": found.max_score if found.max_score is not None else found.score,
                "avg_score": found.avg_score if found.avg_score is not None else found.score,
                "normalized_score": found.normalized_score,
            }
        classes.append(entry)
    return {"video_id": item.video_id, "classes": classes}


def classify_adhoc_run(
    *, actor: Actor, request: AdhocRequest, selection: dict[Index, list[str] | None]
) -> ClassifyResultSet:
    """Score each index's selected videos (None: all its ready videos) and store the merged ranking.

    `selection` holds indexes the caller may read (the views resolve them through team-scoped
    selectors); the result set belongs to their team.
    """
    if not selection:
        raise ApplicationError("Nothing to classify: give video_ids or an index_id.", code="parameter_not_provided")
    # A result set belongs to one team, whose members read its pages: results of another
    # team's videos stored under it would be shown to people outside that team.
    teams = {index.team_id for index in selection}
    if len(teams) > 1:
        raise ApplicationError(
            f"The videos belong to {len(teams)} teams; classify one team's videos per request.",
            code="team_mismatch",
        )
    for index in selection:
        _check_options(index, request.specs)
    rows: list[tuple[float, str, dict[str, Any]]] = []
    skipped: dict[str, str] = {}
    for index, video_ids in selection.items():
        result = classify_videos(
            index_matrices(index.id),
            request.specs,
            request.thresholds,
            video_ids=video_ids,
            with_clips=request.include_clips or request.detailed,
        )
        skipped.update(result.skipped)
        rows += [
            (
                item.best_score,
                item.video_id,
                _video_json(item, include_clips=request.include_clips, detailed=request.detailed),
            )
            for item in result.videos
        ]
    rows.sort(key=lambda row: (-row[0], row[1]))
    return classify_results_store(
        actor=actor,
        team=next(iter(selection)).team,
        results=[row[2] for row in rows],
        skipped=skipped,
        page_limit=request.page_limit,
    )


def classify_results_store(
    *, actor: Actor, team: Team, results: list[dict[str, Any]], skipped: dict[str, str], page_limit: int
) -> ClassifyResultSet:
    """Keep a /classify answer for its page tokens; expired answers are dropped on the way."""
    check(actor, TaxonomyCommand.CLASSIFY, team, what="index")
    now = timezone.now()
    ClassifyResultSet.objects.filter(expires_at__lt=now).delete()
    return ClassifyResultSet.objects.create(
        team=team,
        results=results,
        skipped_options=skipped,
        page_limit=page_limit,
        expires_at=now + timedelta(seconds=settings.FRAMEWISE_PAGE_TOKEN_TTL),
    )
