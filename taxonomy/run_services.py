"""Starting classification runs: the checks a run must pass, its ClassificationRun row, its job.

The run's row is handed to the workers on commit; taxonomy/runs.py is the worker side that
scores the videos and writes the labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from core import jobs
from core.errors import ApplicationError
from core.rules import Actor, check, check_each
from library.models import Index, Video
from taxonomy.commands import TaxonomyCommand
from taxonomy.kinds import CLASSIFICATION
from taxonomy.models import CLASSIFY_OPTIONS, ClassificationRun, Taxonomy
from taxonomy.params import MAX_RUN_PROMPTS, MAX_RUN_VIDEOS, parse_options
from taxonomy.scoring import Thresholds


def enqueue_run(run: ClassificationRun) -> None:
    jobs.enqueue(CLASSIFICATION, run.id)


def run_create(
    *,
    actor: Actor,
    taxonomy: Taxonomy,
    index: Index,
    options: Sequence[str],
    thresholds: Thresholds,
    conversation_option: str = "semantic",
    videos: Iterable[Video] | None = None,
) -> ClassificationRun:
    """Record a classification run over the index (or the given videos of it) and queue it."""
    check(actor, TaxonomyCommand.RUN_CREATE, index.team_id, what="index")
    if taxonomy.team_id != index.team_id:
        raise ApplicationError("The taxonomy and the index belong to different teams.", code="team_mismatch")
    options = parse_options(list(options))
    missing = [option for option in options if option not in index.embedding_options]
    if missing:
        usable = sorted(index.embedding_options & set(CLASSIFY_OPTIONS))
        raise ApplicationError(
            f"The index {index.name!r} was not indexed with {', '.join(missing)}; classify with {', '.join(usable)}.",
            code="index_option_unavailable",
        )
    if not taxonomy.nodes.filter(active=True).exists():
        raise ApplicationError(f"The taxonomy {taxonomy.name!r} has no active nodes.", code="taxonomy_empty")
    # Every prompt is scored against every segment: the run's work grows with their number.
    prompts = sum(max(1, len(p)) for p in taxonomy.nodes.filter(active=True).values_list("prompts", flat=True))
    if prompts > MAX_RUN_PROMPTS:
        raise ApplicationError(
            f"A run scores at most {MAX_RUN_PROMPTS} prompts; the active classes of {taxonomy.name!r} have "
            f"{prompts}. Deactivate classes or split the taxonomy.",
            code="too_many_prompts",
        )
    video_ids: list[str] = []
    if videos is not None:
        chosen = list(videos)
        if len(chosen) > MAX_RUN_VIDEOS:
            raise ApplicationError(f"A run names at most {MAX_RUN_VIDEOS} videos.", code="too_many_videos")
        strangers = [video.id for video in chosen if video.index_id != index.id]
        if strangers:
            raise ApplicationError(f"Video(s) {', '.join(strangers)} are not in the index {index.name!r}.")
        if not chosen:
            raise ApplicationError("Select at least one video to classify.", code="parameter_not_provided")
        video_ids = sorted(video.id for video in chosen)
    with transaction.atomic():
        run = ClassificationRun.objects.create(
            team=index.team,
            taxonomy=taxonomy,
            index=index,
            video_ids=video_ids,
            options=list(options),
            conversation_option=conversation_option,
            min_video_score=thresholds.min_video_score,
            min_clip_score=thresholds.min_clip_score,
            min_duration_ratio=thresholds.min_duration_ratio,
            created_by=actor.recorded_user,
        )
        enqueue_run(run)
    return run


def runs_create_per_index(
    *,
    actor: Actor,
    taxonomy: Taxonomy,
    videos: Iterable[Video],
    options: Sequence[str],
    thresholds: Thresholds,
    conversation_option: str = "semantic",
) -> list[ClassificationRun]:
    """The admin's "classify selected videos": one run per index the selection touches."""
    chosen = list(videos)
    check_each(actor, TaxonomyCommand.RUN_CREATE, [video.index.team_id for video in chosen], what="video")
    by_index: dict[str, list[Video]] = {}
    for video in chosen:
        by_index.setdefault(video.index_id, []).append(video)
    runs = []
    for index in Index.objects.filter(id__in=by_index).order_by("name"):
        wanted = [option for option in options if option in index.embedding_options]
        runs.append(
            run_create(
                actor=actor,
                taxonomy=taxonomy,
                index=index,
                options=wanted or options,
                thresholds=thresholds,
                conversation_option=conversation_option,
                videos=by_index[index.id],
            )
        )
    return runs
