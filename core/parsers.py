"""Request bodies the database can store: no NUL characters, no NaN or infinite numbers.

PostgreSQL refuses NUL in text and in jsonb (a 500 after the view already ran), and a
non-finite number stored in a JSON column makes every later render of that row fail
(JSON has no Infinity). Rejecting both while parsing is the one place every API body
passes through, so no view or service has to remember it.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Iterable
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.errors import ApplicationError

NUL = "\x00"


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e999 parses as inf in Python; the JSON text was a finite-looking literal.
        raise ApplicationError(f"The number {text[:40]} is out of range.", code="parameter_invalid")
    return value


def _no_constants(name: str) -> Any:
    raise ApplicationError(f"{name} is not a JSON number; send a finite number.", code="parameter_invalid")


def reject_unstorable(value: Any, where: str = "body") -> None:
    """Raise a 400 for a NUL character or a non-finite number anywhere in parsed JSON or form data."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                raise ApplicationError(f"The {path} contains a NUL character (\\u0000), which is not allowed.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ApplicationError(f"The {path} contains a number that is not finite.")
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and NUL in key:
                    raise ApplicationError(f"A key in the {path} contains a NUL character (\\u0000).")
                stack.append((child, f"{key}" if path == where else f"{path}.{key}"))
        elif isinstance(item, list | tuple):
            stack.extend((child, path) for child in item)


def _form_items(data: Any) -> Iterable[tuple[str, Any]]:
    if hasattr(data, "lists"):
        for key, values in data.lists():
            for value in values:
                yield key, value
    else:
        yield from dict(data).items()


def reject_unstorable_form(data: Any, files: Any = None) -> None:
    for key, value in _form_items(data):
        if NUL in key:
            raise ApplicationError("A form field name contains a NUL character (\\u0000).")
        reject_unstorable(value, key)
    for key, upload in _form_items(files or {}):
        if NUL in key or NUL in (getattr(upload, "name", "") or ""):
            raise ApplicationError(f"The name of the uploaded {key.replace(NUL, '')} contains a NUL character.")


class StrictJSONParser(parsers.JSONParser):
    """JSON without NaN, Infinity, overflowing numbers or NUL characters (400 `parameter_invalid`)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]  # public in DRF, absent from its stubs
        try:
            data = json.load(
                codecs.getreader(encoding)(stream), parse_float=_finite_float, parse_constant=_no_constants
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        reject_unstorable(data)
        return data


class StrictFormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        reject_unstorable_form(data)
        return data


class StrictMultiPartParser(parsers.MultiPartParser):
    """Text fields and file names are checked; file contents are media and are not."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        reject_unstorable_form(parsed.data, parsed.files)
        return parsed
