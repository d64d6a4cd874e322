"""The editors' admin, one module per concern; importing them registers the model admins."""

from library.admin import assets, indexes, videos, webhooks

__all__ = ["assets", "indexes", "videos", "webhooks"]
