from __future__ import annotations

from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "taxonomy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs
        from core.event_types import register_event_types
        from taxonomy import commands
        from taxonomy.kinds import CLASSIFICATION, RunEventType

        commands.register()
        register_event_types(*RunEventType)

        from library.generation.context import register_label_source
        from taxonomy.selectors import generation_labels

        register_label_source(generation_labels)

        jobs.register(CLASSIFICATION)  # library's maintenance job recovers runs too
