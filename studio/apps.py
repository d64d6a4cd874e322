from django.apps import AppConfig


class StudioConfig(AppConfig):
    """The editors' pages: server-rendered views over the library, search and labels."""

    name = "studio"
    default_auto_field = "django.db.models.BigAutoField"
