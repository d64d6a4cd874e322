"""Taxonomy's commands in the rule table (core/rules.py), registered when the app is ready."""

from __future__ import annotations

from enum import StrEnum

from core.rules import Tier, register_commands


class TaxonomyCommand(StrEnum):
    CLASSIFY = "classify"  # a read: ad-hoc /classify stores only its result pages
    TAXONOMY_CREATE = "taxonomy.create"
    TAXONOMY_EDIT = "taxonomy.edit"
    TAXONOMY_DELETE = "taxonomy.delete"
    TAXONOMY_IMPORT = "taxonomy.import"
    CLASS_ACTIVATE = "class.activate"
    CLASS_DEACTIVATE = "class.deactivate"
    RUN_CREATE = "classification_run.create"
    RUN_CANCEL = "classification_run.cancel"
    LABEL_CONFIRM = "label.confirm"
    LABEL_REJECT = "label.reject"
    LABEL_RESET = "label.reset"
    LABEL_ADD = "label.add"


def register() -> None:
    register_commands(Tier.READ, TaxonomyCommand.CLASSIFY)
    register_commands(Tier.CONTENT, *(command for command in TaxonomyCommand if command != TaxonomyCommand.CLASSIFY))
