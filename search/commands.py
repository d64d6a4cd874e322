"""Search's commands in the rule table (core/rules.py), registered when the app is ready."""

from __future__ import annotations

from enum import StrEnum

from core.rules import Tier, register_commands


class SearchCommand(StrEnum):
    SEARCH = "search"  # a read: searching leaves only page tokens behind


def register() -> None:
    register_commands(Tier.READ, *SearchCommand)
