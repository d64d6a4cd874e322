"""Importing the real IAB Tech Lab Content Taxonomy files (3.1 and 2.2): counts, tree, paths, idempotency."""

from __future__ import annotations

import collections
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import ApplicationError
from taxonomy import iab_import, services
from taxonomy.iab import TaxonomyFileError, parse_iab_tsv
from taxonomy.models import Taxonomy, TaxonomyNode
from tests.factories import SYSTEM, TeamFactory

pytestmark = pytest.mark.django_db

IAB = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "iab").resolve()
needs_iab = pytest.mark.skipif(
    not (IAB / "content-taxonomy-3.1.tsv").exists(),
    reason=f"the IAB taxonomy files are not in {IAB} (copies of InteractiveAdvertisingBureau/Taxonomies)",
)


def iab_bytes(version: str) -> bytes:
    return (IAB / f"content-taxonomy-{version}.tsv").read_bytes()


def import_iab(team: Any, version: str, name: str | None = None) -> iab_import.ImportReport:
    return iab_import.taxonomy_import_iab(
        actor=SYSTEM, team=team, data=iab_bytes(version), name=name or f"IAB {version}", version=version
    )


def node(taxonomy: Taxonomy, code: str) -> TaxonomyNode:
    return TaxonomyNode.objects.get(taxonomy=taxonomy, code=code)


@needs_iab
def test_it_imports_iab_3_1_as_a_tree_with_paths() -> None:
    report = import_iab(TeamFactory(), "3.1")
    taxonomy = report.taxonomy
    assert (report.created, report.updated, report.unchanged, report.deactivated) == (704, 0, 0, 0)
    nodes = list(taxonomy.nodes.all())
    assert len(nodes) == 704
    assert collections.Counter(n.depth for n in nodes) == {1: 37, 2: 325, 3: 273, 4: 69}
    roots = sorted(n.name for n in nodes if n.parent_id is None)
    assert len(roots) == 37 and roots[:3] == ["Attractions", "Automotive", "Books and Literature"]

    # Non-numeric ids, and a row (W3CW2J, line 440) listed before its parent 602 (line 616).
    productivity = node(taxonomy, "W3CW2J")
    assert productivity.parent == node(taxonomy, "602")
    assert productivity.name_path == (
        "Technology & Computing > Computing > Computer Software and Applications > Productivity"
    )
    assert productivity.depth == 4
    ancestors = [node(taxonomy, code) for code in ("596", "599", "602")]
    assert productivity.path == "/" + "".join(f"{a.pk}/" for a in ancestors) + f"{productivity.pk}/"
    assert node(taxonomy, "JLBCU7").name == "Entertainment" and node(taxonomy, "JLBCU7").parent is None
    # Every path is the parent's path plus the node's own id.
    by_id = {n.pk: n for n in nodes}
    assert all(n.path == (by_id[n.parent_id].path if n.parent_id else "/") + f"{n.pk}/" for n in nodes)
    assert node(taxonomy, "186").extension == "SCD"

    cars = node(taxonomy, "3")
    assert (cars.name, cars.name_path) == ("Commercial Trucks", "Automotive > Auto Body Styles > Commercial Trucks")
    # Default prompts are the names: a node already counts its descendants' evidence.
    assert cars.prompts == ["Commercial Trucks"] and node(taxonomy, "1").prompts == ["Automotive"]
    assert TaxonomyNode.objects.filter(taxonomy=taxonomy, path__startswith=node(taxonomy, "1").path).count() == 41


@needs_iab
def test_it_imports_iab_2_2_with_utf8_names_and_parent_column_hierarchy() -> None:
    report = import_iab(TeamFactory(), "2.2")
    taxonomy = report.taxonomy
    assert report.created == 1196  # 1197 rows, one of them blank
    nodes = list(taxonomy.nodes.all())
    assert collections.Counter(n.depth for n in nodes) == {1: 37, 2: 576, 3: 523, 4: 60}
    assert {"Māori", "Curaçao"} <= {n.name for n in nodes}
    # The Tier columns of "Sensitive Topics" children name only the root; the Parent column nests them.
    sensitive = node(taxonomy, "v9i3On")
    assert sensitive.parent is None
    assert sorted(child.code for child in sensitive.children.all())[:3] == ["6i4dB6", "8FD8nI", "HxqYV1"]
    assert node(taxonomy, "bsr001").name_path == "Brand Suitability and Risk > Floor"
    # A name used twice gets its parent's name in its default prompt, to tell the two apart.
    assert node(taxonomy, "623").prompts == ["Email (Internet)"]
    assert node(taxonomy, "1002").prompts == ["Email (Content Channel)"]


@needs_iab
def test_a_second_import_changes_nothing_and_editors_prompts_survive() -> None:
    team = TeamFactory()
    taxonomy = import_iab(team, "3.1").taxonomy
    cooking = node(taxonomy, "216")
    services.node_update(actor=SYSTEM, node=cooking, prompts=["cooking a meal", "a recipe being prepared"])
    ids_before = dict(taxonomy.nodes.values_list("code", "id"))

    again = import_iab(team, "3.1")
    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 704, 0)
    assert again.taxonomy.pk == taxonomy.pk
    assert dict(taxonomy.nodes.values_list("code", "id")) == ids_before
    cooking.refresh_from_db()
    assert cooking.prompts == ["cooking a meal", "a recipe being prepared"] and cooking.prompts_edited
    assert Taxonomy.objects.filter(team=team).count() == 1

    # Restoring the default prompts clears the mark: later imports follow the names again.
    services.node_update(actor=SYSTEM, node=cooking, prompts=[])
    assert cooking.prompts == ["Cooking"] and not cooking.prompts_edited


def tsv(*rows: str) -> bytes:
    header = "Relational ID System\t\t\tContent Taxonomy v9.9\t\t\t\tExtension\r\n"
    header += "Unique ID\tParent\tName\tTier 1\tTier 2\tTier 3\tTier 4\t\r\n"
    return (header + "".join(f"{row}\r\n" for row in rows)).encode()


def test_a_reimport_follows_renames_and_moves_and_deactivates_what_left_the_file() -> None:
    team = TeamFactory()
    first = tsv("A\tA\tAnimals ", "B\tA\tBirds", "C\tB\tCrows", "D\t\tDrinks", "E\tD\tEspresso")
    taxonomy = iab_import.taxonomy_import_iab(actor=SYSTEM, team=team, data=first, name="Mini").taxonomy
    # A row whose parent is itself is a root; names lose their padding.
    assert node(taxonomy, "A").parent is None and node(taxonomy, "A").name == "Animals"
    services.node_update(actor=SYSTEM, node=node(taxonomy, "C"), prompts=["black birds"])

    # B moves under D and is renamed; E leaves the file.
    second = tsv("A\tA\tAnimals", "B\tD\tBeverages of birds", "C\tB\tCrows", "D\t\tDrinks")
    report = iab_import.taxonomy_import_iab(actor=SYSTEM, team=team, data=second, name="Mini")
    assert (report.created, report.updated, report.unchanged, report.deactivated) == (0, 2, 2, 1)
    crows, beverages = node(taxonomy, "C"), node(taxonomy, "B")
    assert beverages.parent == node(taxonomy, "D") and beverages.prompts == ["Beverages of birds"]
    # The child's path and name path follow its parent's move; its edited prompts do not change.
    assert crows.path == f"{beverages.path}{crows.pk}/" and crows.name_path == "Drinks > Beverages of birds > Crows"
    assert crows.depth == 3 and crows.prompts == ["black birds"]
    assert node(taxonomy, "E").active is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text\nwithout a header\n", "No 'Unique ID, Parent, Name' header"),
        (tsv("A\tZ\tOrphan"), "the parent Z of A is not in the file"),
        (tsv("A\tB\tOne", "B\tA\tTwo"), "form a cycle"),
        (tsv("A\t\tOne", "A\t\tAgain"), "already used on line 3"),
        (tsv("\t\tNo id"), "needs both a Unique ID and a Name"),
    ],
)
def test_a_broken_file_is_refused_with_the_line(data: bytes, message: str) -> None:
    with pytest.raises(TaxonomyFileError, match=message):
        parse_iab_tsv(data)
    with pytest.raises(ApplicationError) as error:
        iab_import.taxonomy_import_iab(actor=SYSTEM, team=TeamFactory(), data=data, name="Broken")
    assert error.value.code == "taxonomy_file_invalid"
    assert not Taxonomy.objects.exists()


@needs_iab
def test_the_import_command_names_the_taxonomy_by_version_and_is_idempotent(tmp_path: Path) -> None:
    team = TeamFactory(name="Newsroom")
    path = tmp_path / "content-taxonomy-3.1.tsv"
    path.write_bytes(iab_bytes("3.1"))
    out = io.StringIO()
    call_command("import_taxonomy", str(path), "--team", "Newsroom", stdout=out)
    call_command("import_taxonomy", str(path), "--team", "Newsroom", stdout=out)
    lines = out.getvalue().splitlines()
    assert "704 created, 0 updated, 0 unchanged, 0 deactivated" in lines[0]
    assert "0 created, 0 updated, 704 unchanged, 0 deactivated" in lines[1]
    taxonomy = Taxonomy.objects.get(team=team)
    assert (taxonomy.name, taxonomy.version, taxonomy.source) == ("IAB Content Taxonomy 3.1", "3.1", "iab")
    with pytest.raises(CommandError, match="No team 'Nobody'"):
        call_command("import_taxonomy", str(path), "--team", "Nobody")
