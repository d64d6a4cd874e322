"""`make test` lints and checks formatting before the suite runs (issue 20, tooling)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_test_runs_ruff_check_and_format_check_before_pytest() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no test target in the Makefile"
    steps = [line.strip() for line in recipe.group(1).splitlines()]
    position = {name: next((n for n, step in enumerate(steps) if name in step), None) for name in (
        "ruff check .", "ruff format --check .", "-m pytest")}  # fmt: skip
    assert None not in position.values(), steps
    assert position["ruff check ."] < position["-m pytest"]
    assert position["ruff format --check ."] < position["-m pytest"]
