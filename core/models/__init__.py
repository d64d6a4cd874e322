from core.models.jobs import JobRow
from core.models.ratelimit import RateCounter
from core.models.teams import ApiKey, Membership, Role, Team

__all__ = ["ApiKey", "JobRow", "Membership", "RateCounter", "Role", "Team"]
