from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The floor every app stands on: teams and keys, the rule table, the job lifecycle, the guarded
    fetcher, request parsing and the `{code, message}` error protocol. It imports no app above it."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
