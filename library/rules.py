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

from config.errors import Forbidden, NotFound
from library.models import ApiKey, Membership, Role, Team


class Command(StrEnum):
    INDEX_CREATE = "index.create"
    INDEX_RENAME = "index.rename"
    INDEX_DELETE = "index.delete"
    TASK_CREATE = "task.create"
    TASK_RETRY = "task.retry"
    TASK_DELETE = "task.delete"
    VIDEO_UPDATE = "video.update"
    VIDEO_DELETE = "video.delete"
    VIDEO_REINDEX = "video.reindex"
    ASSET_CREATE = "asset.create"  # direct, URL and multipart uploads (v1.3)
    ASSET_UPDATE = "asset.update"  # user metadata
    ASSET_DELETE = "asset.delete"
    ASSET_INDEX = "asset.index"  # index an asset into an index (an indexed asset)
    GENERATE = "generate"
    SEARCH = "search"  # a read: searching leaves only page tokens behind
    CLASSIFY = "classify"  # a read: ad-hoc /classify stores only its result pages
    TAXONOMY_CREATE = "taxonomy.create"
    TAXONOMY_EDIT = "taxonomy.edit"
    TAXONOMY_DELETE = "taxonomy.delete"
    TAXONOMY_IMPORT = "taxonomy.import"
    CLASS_ACTIVATE = "class.activate"
    CLASS_DEACTIVATE = "class.deactivate"
    RUN_CREATE = "classification_run.create"
    RUN_CANCEL = "classification_run.cancel"
    LABEL_CONFIRM = "label.confirm"
    LABEL_REJECT = "label.reject"
    LABEL_RESET = "label.reset"
    LABEL_ADD = "label.add"
    API_KEY_CREATE = "api_key.create"
    API_KEY_REVOKE = "api_key.revoke"
    MEMBERSHIP_ADD = "membership.add"
    MEMBERSHIP_CHANGE = "membership.change"
    MEMBERSHIP_REMOVE = "membership.remove"
    WEBHOOK_MANAGE = "webhook.manage"
    # No role has these: creating and deleting teams is the operator's (superuser or manage.py).
    TEAM_CREATE = "team.create"
    TEAM_DELETE = "team.delete"
    USER_CREATE = "user.create"


READS = frozenset({Command.SEARCH, Command.CLASSIFY})
CONTENT = frozenset(
    {
        Command.INDEX_CREATE, Command.INDEX_RENAME, Command.INDEX_DELETE,
        Command.TASK_CREATE, Command.TASK_RETRY, Command.TASK_DELETE,
        Command.VIDEO_UPDATE, Command.VIDEO_DELETE, Command.VIDEO_REINDEX, Command.GENERATE,
        Command.ASSET_CREATE, Command.ASSET_UPDATE, Command.ASSET_DELETE, Command.ASSET_INDEX,
        Command.TAXONOMY_CREATE, Command.TAXONOMY_EDIT, Command.TAXONOMY_DELETE, Command.TAXONOMY_IMPORT,
        Command.CLASS_ACTIVATE, Command.CLASS_DEACTIVATE, Command.RUN_CREATE, Command.RUN_CANCEL,
        Command.LABEL_CONFIRM, Command.LABEL_REJECT, Command.LABEL_RESET, Command.LABEL_ADD,
    }
)  # fmt: skip
TEAM_ADMINISTRATION = frozenset(
    {
        Command.API_KEY_CREATE, Command.API_KEY_REVOKE,
        Command.MEMBERSHIP_ADD, Command.MEMBERSHIP_CHANGE, Command.MEMBERSHIP_REMOVE,
        Command.WEBHOOK_MANAGE,
    }
)  # fmt: skip

# The rule table. Viewers read; editors also change the library, taxonomies and labels;
# owners also manage the team's members, API keys and webhooks.
RULES: dict[str, frozenset[Command]] = {
    Role.VIEWER: READS,
    Role.EDITOR: READS | CONTENT,
    Role.OWNER: READS | CONTENT | TEAM_ADMINISTRATION,
}
OPERATOR_ONLY = frozenset({Command.TEAM_CREATE, Command.TEAM_DELETE, Command.USER_CREATE})


def roles_allowed(command: Command) -> list[str]:
    return [role for role in Role.values if command in RULES[role]]


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

    def teams_allowing(self, command: Command) -> QuerySet[Team]:
        """The teams in which this actor may run `command` (for form choices and admin menus)."""
        if self.is_operator:
            return Team.objects.all()
        ids = [team.pk for team in self.teams() if may(self, command, team)]
        return Team.objects.filter(pk__in=ids)

    def __str__(self) -> str:
        if self.kind == ActorKind.SYSTEM:
            return f"system ({self.reason})" if self.reason else "system"
        return f"{self.user} ({self.kind})"


def may(actor: Actor, command: Command, team: Team | int) -> bool:
    if command in OPERATOR_ONLY:
        return actor.is_operator
    role = actor.role_in(team)
    return role is not None and command in RULES.get(role, frozenset())


def may_somewhere(actor: Actor, command: Command) -> bool:
    """Whether some team of the actor's allows `command` (an admin menu offers it then)."""
    if actor.is_operator:
        return True
    return any(may(actor, command, team) for team in actor.teams())


def check(actor: Actor, command: Command, team: Team | int, *, what: str = "resource") -> None:
    """Raise unless `actor` may run `command` on something of `team`.

    NotFound (404) when the actor does not see the team at all, Forbidden (403) when it
    does but its role does not allow the command.
    """
    if command in OPERATOR_ONLY:
        if not actor.is_operator:
            raise Forbidden(f"Only the site's operators can run {command}.")
        return
    role = actor.role_in(team)
    if role is None:
        raise NotFound(f"The {what} does not exist.")
    if command not in RULES.get(role, frozenset()):
        allowed = " and ".join(f"{r}s" for r in roles_allowed(command))
        raise Forbidden(f"Your role in this team is {role}; {command} is for {allowed}.")


def check_each(actor: Actor, command: Command, teams: Iterable[Team | int], *, what: str = "resource") -> None:
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
