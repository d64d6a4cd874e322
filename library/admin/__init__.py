"""The editors' admin, one module per concern; importing them registers the model admins."""

from library.admin import indexes, videos, webhooks

__all__ = ["indexes", "videos", "webhooks"]
