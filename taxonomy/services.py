"""Commands on taxonomies and their nodes: what the APIs, the admin and the CLI call to edit them.

Importing an IAB file is in taxonomy/iab_import.py, starting classification runs in
taxonomy/run_services.py and editors' label decisions in taxonomy/label_services.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core.errors import ApplicationError, Conflict
from core.models import Team
from core.rules import Actor, check
from taxonomy.commands import TaxonomyCommand
from taxonomy.iab import MAX_DEPTH, MAX_NAME_PATH
from taxonomy.models import Taxonomy, TaxonomyNode, TaxonomySource
from taxonomy.params import MAX_PROMPTS, MAX_TAXONOMY_CLASSES, MAX_TAXONOMY_PROMPTS, ClassSpec, parse_options


def _class_code(name: str, taken: set[str]) -> str:
    """A code for a class made here (IAB nodes keep the file's ids): the name's slug, numbered if taken."""
    base = (slugify(name) or "class")[:56]  # room for a "-<n>" suffix within the column's 64 characters
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
            node.set_parent(None)
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
        node.set_parent(parent)
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
