"""The one parser of request flags, option lists, choices, integers and page limits.

Search, classification and the list endpoints take the same kinds of parameters from JSON
bodies, forms and query strings; each bad value is a 400 {code, message} naming the
parameter, worded the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.errors import ApplicationError

DEFAULT_PAGE_LIMIT = 10
MAX_PAGE_LIMIT = 50


def option_list(
    value: Any, *, allowed: Iterable[str], name: str, required: bool = True, kind: str = "option"
) -> tuple[str, ...]:
    """A non-empty list of distinct option names out of `allowed`, in the order given."""
    allowed = tuple(allowed)
    if value in (None, "", []):
        if not required:
            return ()
        raise ApplicationError(
            f"The {name} parameter is required: a list of any of {', '.join(allowed)}.",
            code="parameter_not_provided",
        )
    if not isinstance(value, list | tuple) or not all(isinstance(option, str) for option in value):
        raise ApplicationError(f"The {name} parameter must be a list of any of {', '.join(allowed)}.")
    unknown = [option for option in value if option not in allowed]
    if unknown:
        raise ApplicationError(
            f"Unknown {kind}(s) {', '.join(map(repr, unknown))} in {name}; use any of {', '.join(allowed)}."
        )
    return tuple(dict.fromkeys(value))


def choice(
    value: Any, *, name: str, default: str, allowed: Iterable[str], aliases: dict[str, str] | None = None
) -> str:
    """One of `allowed`; absent or empty gives `default`; `aliases` maps older spellings."""
    allowed = tuple(allowed)
    if value in (None, ""):
        return default
    if isinstance(value, str) and aliases:
        value = aliases.get(value, value)
    if value not in allowed:
        raise ApplicationError(f"The {name} parameter must be one of: {', '.join(allowed)} (got {value!r}).")
    return str(value)


def flag(value: Any, *, name: str, default: bool = False) -> bool:
    """A JSON boolean, or the form spellings true/false/1/0."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise ApplicationError(f"The {name} parameter must be true or false.")


def integer(value: Any, *, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer (JSON number without a fraction, or digits in a form or query string) within bounds."""
    if value is None or value == "":
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ApplicationError(f"The {name} parameter must be an integer.")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ApplicationError(f"The {name} parameter must be an integer.") from None
    if number < minimum or (maximum is not None and number > maximum):
        limit = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ApplicationError(f"The {name} parameter must be {limit}.")
    return number


def page_limit(value: Any, *, maximum: int = MAX_PAGE_LIMIT) -> int:
    return integer(value, name="page_limit", default=DEFAULT_PAGE_LIMIT, minimum=1, maximum=maximum)
