from __future__ import annotations

from django.apps import AppConfig


class SearchConfig(AppConfig):
    """Moment search: vector backends, queries, scoring, calibration and thumbnails over library's segments."""

    name = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from search import commands

        commands.register()
