"""Importing an IAB Content Taxonomy: a parsed TSV (taxonomy/iab.py) written into a team's taxonomy.

The import is a refresh as much as a creation: nodes are matched by their IAB id, so running
it again with the same file changes nothing and a newer file updates the tree in place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction

from core.errors import ApplicationError, Conflict
from core.models import Team
from core.rules import Actor, check
from taxonomy.commands import TaxonomyCommand
from taxonomy.iab import TaxonomyFileError, parse_iab_tsv
from taxonomy.models import Taxonomy, TaxonomyNode, TaxonomySource


@dataclass(frozen=True)
class ImportReport:
    taxonomy: Taxonomy
    created: int
    updated: int
    unchanged: int
    deactivated: int


# The fields an import writes: a node whose values come out the same is not saved and counts as unchanged.
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
            node.set_parent(existing[row.parent_code] if row.parent_code else None)
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
