"""Teams, memberships and API keys in the admin, and the team-scoped admin base every app's admin uses."""

from core.admin import teams

__all__ = ["teams"]
