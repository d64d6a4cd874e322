"""What import-linter cannot see: models and modules named by string across the layers, and team
scoping written by hand instead of through the managers (core/scoping.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first, as in pyproject.toml's layers contract.
LAYERS = ["engines", "core", "library", "search", "taxonomy", "studio", "config"]


def _sources(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def _strings(path: Path) -> list[tuple[int, str]]:
    """String constants of the module, docstrings left out (they may name anything)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


# "config.json" is a file, not the config package.
FILE_SUFFIXES = (".json", ".txt", ".yaml", ".yml", ".toml", ".bin", ".onnx")


@pytest.mark.parametrize("package", LAYERS[:-1])
def test_no_layer_names_a_higher_layer_by_string(package: str) -> None:
    higher = LAYERS[LAYERS.index(package) + 1 :]
    # "taxonomy.VideoLabel", "taxonomy.tasks.run", get_model("taxonomy", ...): any of them from below.
    dotted = re.compile(rf"^({'|'.join(higher)})(\.[A-Za-z_]\w*)+(:\w+)?$")
    found = []
    for path in _sources(package):
        source = path.read_text()
        for lineno, value in _strings(path):
            names_module = dotted.match(value) and not value.endswith(FILE_SUFFIXES)
            if names_module or (value in higher and f'get_model("{value}"' in source):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {value!r}")
    assert not found, "strings naming a higher layer:\n" + "\n".join(found)


def test_the_checker_sees_a_model_named_by_string(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '"""taxonomy.Docstring is fine."""\n'
        'from django.apps import apps\napps.get_model("taxonomy", "VideoLabel")\nX = "taxonomy.tasks.run"\n'
    )
    assert sorted(value for _, value in _strings(module)) == ["VideoLabel", "taxonomy", "taxonomy.tasks.run"]


HAND_SCOPING = re.compile(r"\b(?:\w+__)*team(?:_id)?__in\s*=")


def test_team_scoping_is_written_only_in_the_managers() -> None:
    """Reads start at `Model.objects.visible_to(actor)`; only core/scoping.py writes the team path.

    Users are not team-owned rows: choosing the users of some teams (memberships__team__in) is allowed.
    """
    found = []
    for package in LAYERS:
        for path in _sources(package):
            if path == ROOT / "core" / "scoping.py":
                continue
            for lineno, line in enumerate(path.read_text().splitlines(), 1):
                if HAND_SCOPING.search(line) and "memberships__team__in" not in line:
                    found.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not found, "hand-written team filters:\n" + "\n".join(found)
