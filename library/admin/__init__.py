"""The editors' admin, one module per concern; importing them registers the model admins."""

from library.admin import indexes, teams, videos, webhooks

__all__ = ["indexes", "teams", "videos", "webhooks"]
