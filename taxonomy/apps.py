from __future__ import annotations

from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "taxonomy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from library import jobs
        from taxonomy.kinds import CLASSIFICATION

        jobs.register(CLASSIFICATION)  # library's maintenance job recovers runs too
