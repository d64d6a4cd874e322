"""Who may do what: the one rule table (role x command), the actor, and the check services call.

Every service that changes data takes `actor=` and calls `check(actor, command, team)`
before it touches the database or the disk. Views, admin actions, pages and management
commands only resolve the actor (`actor_for_request`, `Actor.system`) and call services;
they never decide roles themselves.

An actor is a user and how they act:

* a session: the user's current memberships decide, team by team;
* an API key: the key's team only, with its user's *current* role there. A key whose
  user left the team (or was deactivated) fails authentication (401 `api_key_invalid`);
  a demoted user's key loses the rights on its next request. A key never has more
  rights than its user.
* the system: management commands run by the operator (who holds the database
  anyway) and the demo set-up. It may do everything.

Superusers acting through a session are operators too: they count as owners of every
team (the admin's operator must be able to repair any team). Their API keys get no such
privilege: a key is a team credential and acts with its user's membership role.

Refusals: an object of a team the actor cannot see is 404 (ids cannot be probed);
seeing the team but lacking the role is 403 `forbidden`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from core.errors import Forbidden, NotFound
from core.models import ApiKey, Membership, Role, Team


class Command(StrEnum):
    """The platform's own commands; each app registers its own (library/commands.py, taxonomy/commands.py)."""

    API_KEY_CREATE = "api_key.create"
    API_KEY_REVOKE = "api_key.revoke"
    MEMBERSHIP_ADD = "membership.add"
    MEMBERSHIP_CHANGE = "membership.change"
    MEMBERSHIP_REMOVE = "membership.remove"
    # No role has these: creating and deleting teams is the operator's (superuser or manage.py).
    TEAM_CREATE = "team.create"
    TEAM_DELETE = "team.delete"
    USER_CREATE = "user.create"


class Tier(StrEnum):
    """Who may run a command. Viewers read; editors also change content (the library, taxonomies and
    labels); owners also administer the team (members, keys, webhooks); only operators run the rest."""

    READ = "read"
    CONTENT = "content"
    TEAM_ADMINISTRATION = "team_administration"
    OPERATOR = "operator"


_TIER_ROLES: dict[Tier, frozenset[str]] = {
    Tier.READ: frozenset({Role.VIEWER, Role.EDITOR, Role.OWNER}),
    Tier.CONTENT: frozenset({Role.EDITOR, Role.OWNER}),
    Tier.TEAM_ADMINISTRATION: frozenset({Role.OWNER}),
    Tier.OPERATOR: frozenset(),
}

# The rule table: every command any app registered, with its tier. A command nobody registered
# is refused to everybody but operators (see `may`), so a forgotten registration fails closed.
_COMMANDS: dict[str, Tier] = {}


def register_commands(tier: Tier, *commands: StrEnum) -> None:
    """Apps call this from their AppConfig.ready(), as they register job kinds and event types."""
    for command in commands:
        known = _COMMANDS.get(command)
        if known is not None and known != tier:
            raise ValueError(f"{command} is already registered as {known}, not {tier}.")
        _COMMANDS[command] = tier


register_commands(Tier.TEAM_ADMINISTRATION, Command.API_KEY_CREATE, Command.API_KEY_REVOKE)
register_commands(
    Tier.TEAM_ADMINISTRATION, Command.MEMBERSHIP_ADD, Command.MEMBERSHIP_CHANGE, Command.MEMBERSHIP_REMOVE
)
register_commands(Tier.OPERATOR, Command.TEAM_CREATE, Command.TEAM_DELETE, Command.USER_CREATE)


def registered_commands() -> dict[str, Tier]:
    return dict(_COMMANDS)


def tier_of(command: str) -> Tier:
    return _COMMANDS.get(command, Tier.OPERATOR)


def is_operator_only(command: str) -> bool:
    return tier_of(command) == Tier.OPERATOR


def role_allows(role: str, command: str) -> bool:
    return role in _TIER_ROLES[tier_of(command)]


def rule_table() -> dict[str, frozenset[str]]:
    """Role -> the commands it may run (the README's table and the permission matrix read it)."""
    return {role: frozenset(c for c in _COMMANDS if role_allows(role, c)) for role in Role.values}


def operator_commands() -> frozenset[str]:
    return frozenset(c for c, tier in _COMMANDS.items() if tier == Tier.OPERATOR)


def roles_allowed(command: str) -> list[str]:
    return [role for role in Role.values if role_allows(role, command)]


class ActorKind(StrEnum):
    SESSION = "session"
    API_KEY = "api_key"
    SYSTEM = "system"


@dataclass
class Actor:
    """A user and how they act. Build one per request (roles are read fresh, then cached)."""

    kind: ActorKind
    user: User | AnonymousUser | None = None
    api_key: ApiKey | None = None
    # The key's user's role in the key's team, read when the key was authenticated.
    key_role: str | None = None
    reason: str = ""
    _roles: dict[int, str | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_session(cls, user: User | AnonymousUser) -> Actor:
        return cls(kind=ActorKind.SESSION, user=user)

    @classmethod
    def for_api_key(cls, key: ApiKey, role: str) -> Actor:
        return cls(kind=ActorKind.API_KEY, user=key.user, api_key=key, key_role=role)

    @classmethod
    def system(cls, reason: str) -> Actor:
        """The operator: management commands and the demo set-up."""
        return cls(kind=ActorKind.SYSTEM, reason=reason)

    @property
    def is_operator(self) -> bool:
        if self.kind == ActorKind.SYSTEM:
            return True
        return self.kind == ActorKind.SESSION and self._active and bool(getattr(self.user, "is_superuser", False))

    @property
    def _active(self) -> bool:
        user = self.user
        return user is not None and user.is_authenticated and bool(getattr(user, "is_active", False))

    @property
    def recorded_user(self) -> User | None:
        """The user to record as creator or decider (None for the system)."""
        user = self.user
        return user if isinstance(user, User) and user.is_authenticated else None

    def teams(self) -> QuerySet[Team]:
        """The teams this actor sees: a key's team, a session user's teams, every team for operators."""
        if self.kind == ActorKind.API_KEY and self.api_key is not None:
            return Team.objects.filter(pk=self.api_key.team_id)
        if self.is_operator:
            return Team.objects.all()
        if not self._active or not isinstance(self.user, User):
            return Team.objects.none()
        return Team.objects.filter(memberships__user=self.user)

    def role_in(self, team: Team | int) -> str | None:
        team_id = team if isinstance(team, int) else team.pk
        if self.kind == ActorKind.API_KEY:
            return self.key_role if self.api_key is not None and team_id == self.api_key.team_id else None
        if self.is_operator:
            return Role.OWNER
        if not self._active or not isinstance(self.user, User):
            return None
        if team_id not in self._roles:
            self._roles[team_id] = (
                Membership.objects.filter(team_id=team_id, user=self.user).values_list("role", flat=True).first()
            )
        return self._roles[team_id]

    def teams_allowing(self, command: str) -> QuerySet[Team]:
        """The teams in which this actor may run `command` (for form choices and admin menus)."""
        if self.is_operator:
            return Team.objects.all()
        ids = [team.pk for team in self.teams() if may(self, command, team)]
        return Team.objects.filter(pk__in=ids)

    def __str__(self) -> str:
        if self.kind == ActorKind.SYSTEM:
            return f"system ({self.reason})" if self.reason else "system"
        return f"{self.user} ({self.kind})"


def may(actor: Actor, command: str, team: Team | int) -> bool:
    if is_operator_only(command):
        return actor.is_operator
    role = actor.role_in(team)
    return role is not None and role_allows(role, command)


def may_somewhere(actor: Actor, command: str) -> bool:
    """Whether some team of the actor's allows `command` (an admin menu offers it then)."""
    if actor.is_operator:
        return True
    return any(may(actor, command, team) for team in actor.teams())


def check(actor: Actor, command: str, team: Team | int, *, what: str = "resource") -> None:
    """Raise unless `actor` may run `command` on something of `team`.

    NotFound (404) when the actor does not see the team at all, Forbidden (403) when it
    does but its role does not allow the command.
    """
    if is_operator_only(command):
        if not actor.is_operator:
            raise Forbidden(f"Only the site's operators can run {command}.")
        return
    role = actor.role_in(team)
    if role is None:
        raise NotFound(f"The {what} does not exist.")
    if not role_allows(role, command):
        allowed = " and ".join(f"{r}s" for r in roles_allowed(command))
        raise Forbidden(f"Your role in this team is {role}; {command} is for {allowed}.")


def check_each(actor: Actor, command: str, teams: Iterable[Team | int], *, what: str = "resource") -> None:
    for team in dict.fromkeys(team if isinstance(team, int) else team.pk for team in teams):
        check(actor, command, team, what=what)


def actor_for_request(request: Any) -> Actor:
    """The actor of a DRF or Django request: its API key (DRF sets `request.auth`) or its session."""
    cached = getattr(request, "_framewise_actor", None)
    if isinstance(cached, Actor):
        return cached
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        actor = Actor.for_api_key(auth, getattr(auth, "current_role", None) or "")
    else:
        actor = Actor.for_session(request.user)
    with contextlib.suppress(AttributeError):  # a request object that takes no attributes just isn't cached
        request._framewise_actor = actor
    return actor


def command_actor(*, username: str | None, command: str) -> Actor:
    """Who a management command acts as: `--as-user USERNAME` (checked like a session), else the system.

    The operator at the shell holds the database and the settings anyway; naming a user
    records them as the creator and holds the command to that user's rights.
    """
    if not username:
        return Actor.system(f"manage.py {command}")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise LookupError(f"No active user {username!r}.")
    return Actor.for_session(user)
