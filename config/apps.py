"""The project as an app: it composes `library` and `taxonomy`, which know nothing of each other's
pages, routes and admin beyond what `taxonomy -> library` imports allow."""

from __future__ import annotations

from django.apps import AppConfig


class FramewiseConfig(AppConfig):
    name = "config"
    label = "framewise"
    verbose_name = "Framewise"

    def ready(self) -> None:
        from config import admin_extras

        admin_extras.attach_taxonomy_to_library_admin()
