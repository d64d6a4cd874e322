"""The editors' admin, one module per concern; importing them registers the model admins."""

from library.admin import indexes, teams, videos

__all__ = ["indexes", "teams", "videos"]
