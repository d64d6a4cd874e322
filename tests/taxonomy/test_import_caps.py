"""Taxonomy import is linear in depth and capped (issue 20, hole 3).

A reversed chain (every row's parent listed after it) made the cycle check scan a list per
step: 4k rows took 0.84 s and a 10 MB file hours, in a web request; on PostgreSQL a deep
tree overflowed the path column (a 500). Work is counted in traced Python line events, not
timed, so the outcome does not depend on the machine's load.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import ApplicationError
from taxonomy import services
from taxonomy.iab import TaxonomyFileError, parse_iab_tsv
from taxonomy.models import Taxonomy, TaxonomyNode
from tests.factories import SYSTEM, TeamFactory

HEADER = "Unique ID\tParent\tName\tTier 1\tTier 2\tTier 3\tTier 4\tExtension\n"


def reversed_chain(rows: int) -> bytes:
    """R<rows-1> is the root; each R<i> is the child of R<i+1> and listed before it."""
    lines = [f"R{i}\t{f'R{i + 1}' if i + 1 < rows else ''}\tLevel {i}\t\t\t\t\t\n" for i in range(rows)]
    return (HEADER + "".join(lines)).encode()


def flat(rows: int) -> bytes:
    return (HEADER + "".join(f"F{i}\t\tClass {i}\t\t\t\t\t\n" for i in range(rows))).encode()


class WorkLimitExceeded(Exception):
    pass


def count_lines(call: Callable[[], Any], *, budget: int) -> int:
    """Python line events (in every frame) run by `call`; stops it once `budget` is passed.

    A quadratic import is cut off at the budget instead of running for minutes.
    """
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
            if count > budget:
                raise WorkLimitExceeded
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        call()
    except (TaxonomyFileError, WorkLimitExceeded):
        pass
    finally:
        sys.settrace(previous)
    return count


def test_parsing_a_reversed_chain_is_linear_in_its_length() -> None:
    small, large = reversed_chain(4_000), reversed_chain(20_000)
    # 60 line events per row is generous for a linear parser (it needs ~40) and far below
    # the ~4,000 per row a list-based cycle check spends on a 4k chain.
    work_small = count_lines(lambda: parse_iab_tsv(small), budget=60 * 4_000)
    work_large = count_lines(lambda: parse_iab_tsv(large), budget=60 * 20_000)
    assert work_small <= 60 * 4_000, "the 4k chain took more than linear work"
    assert work_large <= 60 * 20_000, "the 20k chain took more than linear work"
    assert work_large <= 6 * work_small  # 5x the rows, about 5x the work (quadratic: 25x)


def test_a_chain_deeper_than_the_cap_is_refused_with_its_line() -> None:
    with pytest.raises(TaxonomyFileError, match=r"at most 16 levels"):
        parse_iab_tsv(reversed_chain(4_000))
    assert len(parse_iab_tsv(reversed_chain(16))) == 16  # the cap itself is allowed


def test_more_rows_than_the_cap_are_refused() -> None:
    assert len(parse_iab_tsv(flat(20_000))) == 20_000
    with pytest.raises(TaxonomyFileError, match="more than 20000 categories"):
        parse_iab_tsv(flat(20_001))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (f"{'X' * 65}\t\tName\t\t\t\t\t\n", "the id is longer than 64"),
        (f"A\t\t{'N' * 301}\t\t\t\t\t\n", "the name is longer than 300"),
        ("A\t\tName\t\t\t\t\tEXTENSION-LONGER-THAN-20\n", "the extension is longer than 20"),
    ],
)
def test_cells_longer_than_their_columns_are_refused(row: str, message: str) -> None:
    with pytest.raises(TaxonomyFileError, match=message):
        parse_iab_tsv((HEADER + row).encode())


def test_names_longer_than_the_name_path_column_together_are_refused() -> None:
    rows = "".join(f"L{i}\t{f'L{i - 1}' if i else ''}\t{'n' * 290}\t\t\t\t\t\n" for i in range(5))
    with pytest.raises(TaxonomyFileError, match="longer than 1200 characters together"):
        parse_iab_tsv((HEADER + rows).encode())


@pytest.mark.django_db
def test_the_api_refuses_a_deep_tree_with_a_4xx_and_keeps_nothing(api: Any) -> None:
    """On main: 200 on SQLite (a 4,000-level path stored) and a 500 on PostgreSQL."""
    upload = SimpleUploadedFile("deep.tsv", reversed_chain(4_000))
    response = api.post("/api/v1/taxonomies/import/", {"file": upload, "name": "Deep"}, format="multipart")
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "taxonomy_file_invalid"
    assert "at most 16 levels" in body["message"]
    assert not Taxonomy.objects.filter(name="Deep").exists()


@pytest.mark.django_db
def test_the_deepest_allowed_tree_is_stored_with_paths_that_fit(api: Any) -> None:
    upload = SimpleUploadedFile("sixteen.tsv", reversed_chain(16))
    response = api.post("/api/v1/taxonomies/import/", {"file": upload, "name": "Sixteen"}, format="multipart")
    assert response.status_code == 200, response.content[:300]
    deepest = TaxonomyNode.objects.get(taxonomy__name="Sixteen", code="R0")
    assert deepest.depth == 16
    assert deepest.path.count("/") == 17 and len(deepest.path) <= 400


@pytest.mark.django_db
def test_the_management_command_says_why_a_deep_tree_is_refused(tmp_path: Any) -> None:
    TeamFactory(name="Newsroom")
    path = tmp_path / "deep.tsv"
    path.write_bytes(reversed_chain(4_000))
    with pytest.raises(CommandError, match="at most 16 levels"):
        call_command("import_taxonomy", str(path), "--team", "Newsroom", stdout=io.StringIO())
    assert not Taxonomy.objects.exists()


@pytest.mark.django_db
def test_a_hand_made_class_below_the_deepest_level_is_refused() -> None:
    team = TeamFactory()
    taxonomy = services.taxonomy_create(actor=SYSTEM, team=team, name="By hand")
    parent = None
    for level in range(16):
        parent = services.node_create(actor=SYSTEM, taxonomy=taxonomy, name=f"Level {level}", parent=parent)
    assert parent is not None and parent.depth == 16
    with pytest.raises(ApplicationError) as refused:
        services.node_create(actor=SYSTEM, taxonomy=taxonomy, name="Too deep", parent=parent)
    assert refused.value.code == "taxonomy_too_deep"
    assert taxonomy.nodes.count() == 16
