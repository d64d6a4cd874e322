"""Team scoping in one place. Every model a team owns has a manager whose `visible_to(who)` keeps the
rows of the teams `who` sees (an Actor, or teams as rows, ids or a queryset); selectors, views and the
admin start their reads there instead of writing the team path by hand. The path from a model to its
team is the model's `team_path` (e.g. "index__team" for a video)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models

from core.models import Team

if TYPE_CHECKING:
    from core.rules import Actor

_M = TypeVar("_M", bound=models.Model)

Teams = Iterable[Team | int] | models.QuerySet[Team]


def team_path(model: type[models.Model]) -> str:
    return str(getattr(model, "team_path", "team"))


def teams_of(who: Actor | Teams) -> Any:
    from core.rules import Actor

    return who.teams() if isinstance(who, Actor) else who


def visible(queryset: models.QuerySet[_M], who: Actor | Teams) -> models.QuerySet[_M]:
    """`visible_to` for code that holds a plain queryset of a team-owned model (the admin)."""
    return queryset.filter(**{f"{team_path(queryset.model)}__in": teams_of(who)})


class TeamScopedQuerySet(models.QuerySet[_M]):
    def visible_to(self, who: Actor | Teams) -> Self:
        """The rows of the teams `who` sees; another team's rows simply are not there (404, never 403)."""
        return self.filter(**{f"{team_path(self.model)}__in": teams_of(who)})

    def of_team(self, team: Team | int) -> Self:
        return self.filter(**{f"{team_path(self.model)}": team})
