"""Teams, memberships and API keys: the services that decide who sees what."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import ApplicationError, Conflict
from core.models import ApiKey, Membership, Role, Team
from core.rules import Actor, Command, check

KEY_PREFIX = "fw_"
# last_used_at is written at most this often per key, so a busy client does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def team_create(*, actor: Actor, name: str, owner: User | None = None) -> Team:
    """Create a team (idempotent by name); only operators create teams."""
    name = name.strip()
    if not name:
        raise ApplicationError("A team needs a name.")
    check(actor, Command.TEAM_CREATE, 0)
    with transaction.atomic():
        team, _ = Team.objects.get_or_create(name=name)
        if owner is not None:
            _membership_write(team=team, user=owner, role=Role.OWNER)
    return team


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ApplicationError(f"The role must be one of {', '.join(Role.values)}.")
    return role


def _membership_write(*, team: Team, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    if not user.is_staff:
        # The admin is the editors' workspace and admits only staff; what they see in it
        # is still limited to their teams (core/admin/base.py).
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


def _keep_an_owner(membership: Membership) -> None:
    others = Membership.objects.filter(team_id=membership.team_id, role=Role.OWNER).exclude(pk=membership.pk)
    if membership.role == Role.OWNER and not others.exists():
        raise Conflict("A team keeps at least one owner; make someone else owner first.", code="team_needs_owner")


def membership_set(*, actor: Actor, team: Team, user: User, role: str) -> Membership:
    """Add `user` to `team` with `role`, or change their role if they are a member already."""
    role = _clean_role(role)
    current = Membership.objects.filter(team=team, user=user).first()
    check(actor, Command.MEMBERSHIP_CHANGE if current else Command.MEMBERSHIP_ADD, team, what="team")
    with transaction.atomic():
        if current is not None and role != Role.OWNER:
            _keep_an_owner(current)
        return _membership_write(team=team, user=user, role=role)


def membership_change(*, actor: Actor, membership: Membership, role: str) -> Membership:
    return membership_set(actor=actor, team=membership.team, user=membership.user, role=role)


def membership_remove(*, actor: Actor, membership: Membership) -> None:
    """Remove a member: their session loses the team at once, their keys answer 401 from now on."""
    check(actor, Command.MEMBERSHIP_REMOVE, membership.team_id, what="membership")
    with transaction.atomic():
        _keep_an_owner(membership)
        membership.delete()


def api_key_create(*, actor: Actor, team: Team, user: User, name: str = "") -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored or shown again.

    The key acts with `user`'s current role in `team` on every request, never with more.
    """
    check(actor, Command.API_KEY_CREATE, team, what="team")
    if not Membership.objects.filter(team=team, user=user).exists():
        raise ApplicationError(f"{user} is not a member of {team}; add them to the team first.")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(team=team, user=user, name=name, prefix=raw[:10], key_hash=ApiKey.hash_key(raw))
    return key, raw


def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    check(actor, Command.API_KEY_REVOKE, key.team_id, what="API key")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, its last use recorded; None if there is none.

    A key is valid only while its user is active and still a member of the key's team;
    `current_role` on the returned key is that membership's role, read now.
    """
    if not raw_key:
        return None
    key = (
        ApiKey.objects.select_related("team", "user")
        .filter(key_hash=ApiKey.hash_key(raw_key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is None:
        return None
    role = Membership.objects.filter(team_id=key.team_id, user_id=key.user_id).values_list("role", flat=True).first()
    if role is None:
        return None
    key.current_role = role  # type: ignore[attr-defined]
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def teams_for_user(user: User | AnonymousUser) -> QuerySet[Team]:
    return Actor.for_session(user).teams()


def user_create(
    *, actor: Actor, username: str, email: str = "", password: str | None = None
) -> tuple[User, str | None]:
    """Create a login; with no password given, generate one and return it (shown once, never stored).

    Logins are the operator's (manage.py, or a superuser): teams then add them as members.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    check(actor, Command.USER_CREATE, 0)
    users = get_user_model().objects
    username = username.strip()
    if not username:
        raise ApplicationError("A user needs a username.")
    if users.filter(username=username).exists():
        raise ApplicationError(f"The user {username!r} already exists.", code="resource_already_exists", status=409)
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    user = users.model(username=username, email=email.strip())
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), code="password_invalid") from None
    user.set_password(password)
    user.save()
    return user, generated
