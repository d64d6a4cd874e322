"""Commands on taxonomies, classification runs and labels: what the APIs, the admin and the CLI call.

Starting a run records a ClassificationRun row and hands its id to the workers on commit
(taxonomy/runs.py does the work). Imports and label decisions are plain transactions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from core import jobs
from core.errors import ApplicationError, Conflict
from core.models import Team
from core.rules import Actor, check, check_each
from library.models import Index, Video
from taxonomy.commands import TaxonomyCommand
from taxonomy.iab import MAX_DEPTH, MAX_NAME_PATH, TaxonomyFileError, parse_iab_tsv
from taxonomy.kinds import CLASSIFICATION
from taxonomy.models import (
    CLASSIFY_OPTIONS,
    ClassificationRun,
    Decision,
    LabelOrigin,
    Taxonomy,
    TaxonomyNode,
    TaxonomySource,
    VideoLabel,
)
from taxonomy.params import (
    MAX_PROMPTS,
    MAX_RUN_PROMPTS,
    MAX_RUN_VIDEOS,
    MAX_TAXONOMY_CLASSES,
    MAX_TAXONOMY_PROMPTS,
    ClassSpec,
    parse_options,
)
from taxonomy.scoring import Thresholds

# --- Taxonomies -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    taxonomy: Taxonomy
    created: int
    updated: int
    unchanged: int
    deactivated: int


def _place(node: TaxonomyNode, parent: TaxonomyNode | None) -> None:
    node.parent = parent
    node.depth = parent.depth + 1 if parent else 1
    node.name_path = f"{parent.name_path} > {node.name}" if parent else node.name
    node.path = f"{parent.path if parent else '/'}{node.pk}/"


_TRACKED = ("parent_id", "name", "name_path", "path", "depth", "position", "extension", "prompts")


def taxonomy_import_iab(
    *, actor: Actor, team: Team, data: bytes | BinaryIO, name: str, version: str = ""
) -> ImportReport:
    """Create or refresh an IAB taxonomy from its TSV; running it twice changes nothing.

    Nodes are matched by their IAB id. Names, parents and positions follow the file;
    prompts follow the names unless an editor changed them; nodes no longer in the file
    are deactivated, not deleted, so the labels that point at them stay readable.
    """
    check(actor, TaxonomyCommand.TAXONOMY_IMPORT, team, what="team")
    try:
        rows = parse_iab_tsv(data)
    except TaxonomyFileError as error:
        raise ApplicationError(str(error), code="taxonomy_file_invalid") from None
    name = name.strip()
    if not name:
        raise ApplicationError("A taxonomy needs a name.", code="parameter_not_provided")
    with transaction.atomic():
        taxonomy, _ = Taxonomy.objects.get_or_create(
            team=team, name=name, defaults={"source": TaxonomySource.IAB, "version": version}
        )
        if taxonomy.source != TaxonomySource.IAB:
            raise Conflict(f"The taxonomy {name!r} holds your own classes; import the IAB file under another name.")
        if version and taxonomy.version != version:
            taxonomy.version = version
            taxonomy.save(update_fields=["version", "updated_at"])
        existing = {node.code: node for node in taxonomy.nodes.select_for_update()}
        before = {code: tuple(getattr(node, field) for field in _TRACKED) for code, node in existing.items()}
        # New nodes need ids before their paths can be written: create them first, bare.
        fresh = [
            TaxonomyNode(taxonomy=taxonomy, code=row.code, name=row.name, path="", name_path="", depth=0)
            for row in rows
            if row.code not in existing
        ]
        for node in TaxonomyNode.objects.bulk_create(fresh, batch_size=500):
            existing[node.code] = node
        shared_names = {name for name, count in Counter(row.name for row in rows).items() if count > 1}
        for row in rows:  # parents come first, so each parent's path is already final
            node = existing[row.code]
            node.name, node.position, node.extension = row.name, row.position, row.extension
            _place(node, existing[row.parent_code] if row.parent_code else None)
            if not node.prompts_edited:
                node.prompts = node.default_prompts(ambiguous=row.name in shared_names)
        changed = [
            existing[row.code]
            for row in rows
            if before.get(row.code) != tuple(getattr(existing[row.code], field) for field in _TRACKED)
        ]
        TaxonomyNode.objects.bulk_update(changed, [*(f.removesuffix("_id") for f in _TRACKED)], batch_size=500)
        in_file = {row.code for row in rows}
        deactivated = taxonomy.nodes.exclude(code__in=in_file).filter(active=True).update(active=False)
    return ImportReport(
        taxonomy=taxonomy,
        created=len(fresh),
        updated=len(changed) - len(fresh),
        unchanged=len(rows) - len(changed),
        deactivated=deactivated,
    )


def _class_code(name: str, taken: set[str]) -> str:
    base = (slugify(name) or "class")[:56]
    code, suffix = base, 2
    while code in taken:
        code, suffix = f"{base}-{suffix}", suffix + 1
    return code


def taxonomy_save_classes(*, actor: Actor, team: Team, name: str, classes: Sequence[ClassSpec]) -> Taxonomy:
    """A flat taxonomy (depth 1) holding `classes`; saving the same name again updates it in place.

    Class options are stored only where they differ from the run's, so a flat list
    saved from an API request classifies the same way when run again.
    """
    exists = Taxonomy.objects.filter(team=team, name=name.strip()).exists()
    check(actor, TaxonomyCommand.TAXONOMY_EDIT if exists else TaxonomyCommand.TAXONOMY_CREATE, team, what="team")
    name = name.strip()
    if not name:
        raise ApplicationError("A taxonomy needs a name.", code="parameter_not_provided")
    if len(classes) > MAX_TAXONOMY_CLASSES:
        raise ApplicationError(
            f"A taxonomy holds at most {MAX_TAXONOMY_CLASSES} classes; this one has {len(classes)}.",
            code="too_many_classes",
        )
    if any(len(spec.prompts) > MAX_PROMPTS for spec in classes):
        raise ApplicationError(f"A class has at most {MAX_PROMPTS} prompts.", code="too_many_prompts")
    prompts = sum(len(spec.prompts) for spec in classes)
    if prompts > MAX_TAXONOMY_PROMPTS:
        raise ApplicationError(
            f"A taxonomy holds at most {MAX_TAXONOMY_PROMPTS} prompts over all classes; this one has {prompts}.",
            code="too_many_prompts",
        )
    with transaction.atomic():
        taxonomy, _ = Taxonomy.objects.get_or_create(team=team, name=name)
        if taxonomy.source != TaxonomySource.CUSTOM or taxonomy.nodes.filter(depth__gt=1).exists():
            raise Conflict(f"The taxonomy {name!r} is a hierarchy; save flat classes under another name.")
        by_name = {node.name: node for node in taxonomy.nodes.select_for_update()}
        codes = {node.code for node in by_name.values()}
        for position, spec in enumerate(classes):
            node = by_name.get(spec.name)
            if node is None:
                node = TaxonomyNode(taxonomy=taxonomy, name=spec.name, code=_class_code(spec.name, codes), depth=1)
                codes.add(node.code)
                node.save()
            node.position, node.active = position, True
            node.prompts, node.prompts_edited = list(spec.prompts), True
            node.options = list(spec.options)
            _place(node, None)
            node.save()
        keep = {spec.name for spec in classes}
        taxonomy.nodes.exclude(name__in=keep).update(active=False)
    return taxonomy


def taxonomy_create(*, actor: Actor, team: Team, name: str, description: str = "") -> Taxonomy:
    """An empty taxonomy of your own classes (add them with node_create)."""
    check(actor, TaxonomyCommand.TAXONOMY_CREATE, team, what="team")
    name = name.strip()
    if not name:
        raise ApplicationError("A taxonomy needs a name.", code="parameter_not_provided")
    try:
        with transaction.atomic():
            return Taxonomy.objects.create(team=team, name=name, description=description)
    except IntegrityError:
        raise Conflict(f"A taxonomy named {name!r} already exists in your team.") from None


def taxonomy_update(*, actor: Actor, taxonomy: Taxonomy, name: str, description: str) -> Taxonomy:
    """Rename or describe a taxonomy; it stays in its team (a taxonomy never moves between teams)."""
    check(actor, TaxonomyCommand.TAXONOMY_EDIT, taxonomy.team_id, what="taxonomy")
    name = name.strip()
    if not name:
        raise ApplicationError("A taxonomy needs a name.", code="parameter_not_provided")
    taxonomy.name, taxonomy.description = name, description
    try:
        with transaction.atomic():
            taxonomy.save(update_fields=["name", "description", "updated_at"])
    except IntegrityError:
        raise Conflict(f"A taxonomy named {name!r} already exists in your team.") from None
    return taxonomy


def taxonomy_delete(*, actor: Actor, taxonomy: Taxonomy) -> None:
    """Delete a taxonomy with its nodes, labels and runs."""
    check(actor, TaxonomyCommand.TAXONOMY_DELETE, taxonomy.team_id, what="taxonomy")
    taxonomy.delete()


def node_create(
    *,
    actor: Actor,
    taxonomy: Taxonomy,
    name: str,
    prompts: Sequence[str] = (),
    parent: TaxonomyNode | None = None,
    options: Sequence[str] = (),
) -> TaxonomyNode:
    """An editor's own class (or sub-class): prompts default to the name and path."""
    check(actor, TaxonomyCommand.TAXONOMY_EDIT, taxonomy.team_id, what="taxonomy")
    name = name.strip()
    if not name:
        raise ApplicationError("A class needs a name.", code="parameter_not_provided")
    if parent is not None and parent.taxonomy_id != taxonomy.id:
        raise ApplicationError("The parent belongs to another taxonomy.")
    # The import's caps hold for hand-made classes too: the path columns have fixed lengths.
    if parent is not None and parent.depth >= MAX_DEPTH:
        raise ApplicationError(f"A taxonomy has at most {MAX_DEPTH} levels.", code="taxonomy_too_deep")
    if parent is not None and len(parent.name_path) + 3 + len(name) > MAX_NAME_PATH:
        raise ApplicationError(
            f"The names from the top level down to this class are longer than {MAX_NAME_PATH} characters together."
        )
    with transaction.atomic():
        codes = set(taxonomy.nodes.values_list("code", flat=True))
        node = TaxonomyNode(taxonomy=taxonomy, name=name, code=_class_code(name, codes), depth=1)
        node.position = taxonomy.nodes.count()
        node.save()
        _place(node, parent)
        node.save()
        return node_update(actor=actor, node=node, prompts=list(prompts), options=list(options))


def node_update(
    *,
    actor: Actor,
    node: TaxonomyNode,
    prompts: Sequence[str] | None = None,
    options: Sequence[str] | None = None,
    active: bool | None = None,
) -> TaxonomyNode:
    """An editor's change to a node; edited prompts are kept by later re-imports."""
    team_id = node.taxonomy.team_id
    if prompts is not None or options is not None:
        check(actor, TaxonomyCommand.TAXONOMY_EDIT, team_id, what="class")
    if active is not None:
        check(
            actor, TaxonomyCommand.CLASS_ACTIVATE if active else TaxonomyCommand.CLASS_DEACTIVATE, team_id, what="class"
        )
    if prompts is not None:
        cleaned = [prompt.strip() for prompt in prompts if prompt.strip()]
        if len(cleaned) > MAX_PROMPTS:
            raise ApplicationError(f"A class has at most {MAX_PROMPTS} prompts.", code="too_many_prompts")
        ambiguous = node.taxonomy.nodes.filter(name=node.name).exclude(pk=node.pk).exists()
        defaults = node.default_prompts(ambiguous=ambiguous)
        node.prompts = cleaned or defaults
        node.prompts_edited = node.prompts != defaults
    if options is not None:
        node.options = list(parse_options(list(options), name="options", required=False))
    if active is not None:
        node.active = active
    node.save()
    return node


# --- Classification runs -------------------------------------------------------------------


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


# --- Label decisions ---------------------------------------------------------------------------


def _team_of(label: VideoLabel) -> int:
    return int(label.video.index.team_id)


def _decide(label: VideoLabel, decision: str, actor: Actor) -> VideoLabel:
    label.decision = decision
    label.decided_by = actor.recorded_user
    label.decided_at = timezone.now()
    label.save(update_fields=["decision", "decided_by", "decided_at", "updated_at"])
    return label


def label_confirm(*, actor: Actor, label: VideoLabel) -> VideoLabel:
    check(actor, TaxonomyCommand.LABEL_CONFIRM, _team_of(label), what="label")
    return _decide(label, Decision.CONFIRMED, actor)


def label_reject(*, actor: Actor, label: VideoLabel) -> VideoLabel:
    """The label stays (hidden from the library) so a re-run cannot bring it back."""
    check(actor, TaxonomyCommand.LABEL_REJECT, _team_of(label), what="label")
    return _decide(label, Decision.REJECTED, actor)


def label_reset(*, actor: Actor, label: VideoLabel) -> VideoLabel | None:
    """Forget the editor's decision; a hand-added label without model evidence goes away."""
    check(actor, TaxonomyCommand.LABEL_RESET, _team_of(label), what="label")
    if label.origin == LabelOrigin.EDITOR and label.score is None:
        label.delete()
        return None
    if label.origin == LabelOrigin.EDITOR:
        label.origin = LabelOrigin.MODEL
    label.decision, label.decided_by, label.decided_at = Decision.NONE, None, None
    label.save(update_fields=["origin", "decision", "decided_by", "decided_at", "updated_at"])
    return label


def label_add(*, actor: Actor, video: Video, node: TaxonomyNode) -> VideoLabel:
    """An editor labels a video by hand; an existing (even rejected) label becomes confirmed."""
    check(actor, TaxonomyCommand.LABEL_ADD, video.index.team_id, what="video")
    if node.taxonomy.team_id != video.index.team_id:
        raise ApplicationError("The node and the video belong to different teams.", code="team_mismatch")
    with transaction.atomic():
        try:
            with transaction.atomic():
                label = VideoLabel.objects.create(video=video, node=node, origin=LabelOrigin.EDITOR)
        except IntegrityError:
            label = VideoLabel.objects.select_for_update().get(video=video, node=node)
        return _decide(label, Decision.CONFIRMED, actor)


# --- /classify result sets ---------------------------------------------------------------------
