"""README's configuration table is checked against the variables the code reads (issue 20, hole 16).

The table had `FRAMEWISE_TASK_LEASE_SECONDS` twice (defaults 30 and 300),
`FRAMEWISE_TASK_MAX_ATTEMPTS` twice with two meanings, and lacked variables the settings
read. Every environment variable read by the project's code (the typed readers of
config/env.py called in config/settings.py, and any `os.environ` / `os.getenv` read in the
apps) must have exactly one row, and every row must name a variable the code reads.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Where the product's code lives (tests, benchmarks and tools set variables, they do not configure it).
CODE = ["config", "core", "library", "search", "taxonomy", "studio", "engines", "manage.py"]
ENV_READERS = {"env_str", "env_bool", "env_int", "env_float", "env_choice", "env_list", "env_secret"}


def _name(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` (or a bare `environ`)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def variables_read(source: str) -> set[str]:
    """Names read by env_*("X"), os.environ.get("X"), os.environ["X"] and os.getenv("X") in `source`.

    `setdefault` is a write (a library's switch set by the code), not configuration.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func, first = node.func, _name(node.args[0])
            if first is None:
                continue
            if isinstance(func, ast.Name) and func.id in ENV_READERS:
                found.add(first)
                if func.id == "env_secret":
                    found.add(f"{first}_FILE")  # env_secret reads NAME_FILE first
            elif isinstance(func, ast.Attribute) and (
                (func.attr == "get" and _is_environ(func.value)) or func.attr == "getenv"
            ):
                found.add(first)
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.ctx, ast.Load):
            name = _name(node.slice)
            if name is not None:
                found.add(name)
    return found


def code_variables() -> set[str]:
    found: set[str] = set()
    for place in CODE:
        path = ROOT / place
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            found |= variables_read(file.read_text(encoding="utf-8"))
    return found


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def table_first_cells(section: str) -> list[str]:
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [row.split("|")[1].strip() for row in rows[2:]]  # after the header and its rule


def test_the_reader_finds_every_kind_of_read() -> None:
    source = (
        "import os\nfrom os import environ\n"
        "A = env_int('A_INT', 1)\nB = env_secret('B_KEY')\nC = os.environ.get('C_GET')\n"
        "D = os.environ['D_ITEM']\nE = os.getenv('E_GETENV')\nos.environ.setdefault('F_WRITE', '1')\n"
        "os.environ['G_WRITE'] = '1'\nH = environ.get('H_BARE')\n"
    )
    assert variables_read(source) == {"A_INT", "B_KEY", "B_KEY_FILE", "C_GET", "D_ITEM", "E_GETENV", "H_BARE"}


def test_every_variable_the_code_reads_has_exactly_one_row_and_no_row_is_extra() -> None:
    cells = table_first_cells(readme_section("Configuration"))
    listed = Counter(name for cell in cells for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell))
    read = code_variables()
    assert read, "no environment reads found: the scan is broken"
    assert not {name for name, count in listed.items() if count > 1}, "listed more than once"
    assert not read - set(listed), "read by the code, missing from README's configuration table"
    assert not set(listed) - read, "in README's configuration table, read by no code"


def test_what_runs_where_names_every_app_of_the_project() -> None:
    from django.apps import apps

    cells = table_first_cells(readme_section("What runs where"))
    pieces = {cell.strip("`").rstrip("/") for cell in cells}
    ours = {
        config.name.split(".")[0] for config in apps.get_app_configs() if (ROOT / config.name.split(".")[0]).is_dir()
    }
    assert ours >= {"core", "library", "search", "taxonomy", "studio", "config"}
    assert not ours - pieces, "apps missing from README's 'What runs where'"
    assert "engines" in pieces
