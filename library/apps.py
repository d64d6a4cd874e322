from __future__ import annotations

from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from library import kinds

        kinds.register_all()  # the maintenance job recovers these (library/jobs.py)
