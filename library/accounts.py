"""Teams, memberships and API keys: the services that decide who sees what."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.errors import ApplicationError
from library.models import ApiKey, Membership, Role, Team

KEY_PREFIX = "fw_"
# last_used_at is written at most this often per key, so a busy client does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def team_create(*, name: str, owner: AbstractBaseUser | None = None) -> Team:
    name = name.strip()
    if not name:
        raise ApplicationError("A team needs a name.")
    with transaction.atomic():
        team, _ = Team.objects.get_or_create(name=name)
        if owner is not None:
            membership_set(team=team, user=owner, role=Role.OWNER)
    return team


def membership_set(*, team: Team, user: AbstractBaseUser, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    if not user.is_staff:
        # The admin is the editors' workspace and admits only staff; what they see in it
        # is still limited to their teams (library/admin/base.py).
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


def api_key_create(*, team: Team, user: AbstractBaseUser, name: str = "") -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored or shown again."""
    if not Membership.objects.filter(team=team, user=user).exists():
        raise ApplicationError(f"{user} is not a member of {team}; add them to the team first.")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(team=team, user=user, name=name, prefix=raw[:10], key_hash=ApiKey.hash_key(raw))
    return key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, its last use recorded; None if there is none."""
    if not raw_key:
        return None
    key = (
        ApiKey.objects.select_related("team", "user")
        .filter(key_hash=ApiKey.hash_key(raw_key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def teams_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user)


def user_can_edit(*, user: AbstractBaseUser | AnonymousUser, team: Team) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(team=team, user=user, role__in=[Role.OWNER, Role.EDITOR]).exists()


def user_create(
    *, actor: AbstractBaseUser | None, username: str, email: str = "", password: str | None = None
) -> tuple[AbstractBaseUser, str | None]:
    """Create a login; with no password given, generate one and return it (shown once, never stored).

    `actor` is who asked (None: the command line, i.e. whoever runs the server).
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

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
