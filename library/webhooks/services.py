"""Commands on webhook endpoints (owners only: LibraryCommand.WEBHOOK_MANAGE) and the owners' reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core import addresses, jobs, outbound
from core.errors import ApplicationError
from core.event_types import subscribable_event_types
from core.models import Team
from core.rules import Actor, check, may
from library.commands import LibraryCommand
from library.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from library.models.webhooks import new_secret
from library.webhooks.delivery import DELIVERY

ROTATION_GRACE = timedelta(hours=24)


def webhook_url_clean(url: str) -> str:
    """The receiver URL, or an ApplicationError saying why it cannot be one (forms check it early)."""
    try:
        outbound.check_url(url, allow=addresses.allowed_for("webhook"))
    except outbound.OutboundError as exc:
        # A webhook URL is only checked here (nothing is fetched): every failure is a refusal.
        raise outbound.refusal(exc, field="webhook URL", unreachable_code="url_not_allowed") from None
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    subscribable = subscribable_event_types()
    unknown = [event for event in chosen if event not in subscribable]
    if unknown or not chosen:
        raise ApplicationError(
            f"Subscribe to at least one of {', '.join(subscribable)} (unknown: {', '.join(unknown) or 'none'}).",
            code="parameter_invalid",
        )
    return chosen


def webhook_endpoint_create(*, actor: Actor, team: Team, url: str, events: Iterable[str]) -> WebhookEndpoint:
    """The answer carries the secret; it is never shown again."""
    check(actor, LibraryCommand.WEBHOOK_MANAGE, team, what="webhook endpoint")
    return WebhookEndpoint.objects.create(team=team, url=webhook_url_clean(url), events=_clean_events(events))


def webhook_endpoint_update(
    *,
    actor: Actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    check(actor, LibraryCommand.WEBHOOK_MANAGE, endpoint.team_id, what="webhook endpoint")
    if url is not None:
        endpoint.url = webhook_url_clean(url)
    if events is not None:
        endpoint.events = _clean_events(events)
    if active is not None:
        endpoint.active = active
        if active:  # an owner re-enables it: the failure streak starts over
            endpoint.disabled_reason, endpoint.consecutive_failures = "", 0
        elif not endpoint.disabled_reason:
            endpoint.disabled_reason = "Disabled by an owner."
    # Never the team: an endpoint and its delivery history stay with the team they were made for,
    # whatever a form did to the object in memory.
    endpoint.save(update_fields=["url", "events", "active", "disabled_reason", "consecutive_failures", "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    check(actor, LibraryCommand.WEBHOOK_MANAGE, endpoint.team_id, what="webhook endpoint")
    endpoint.delete()


def webhook_secret_rotate(*, actor: Actor, endpoint: WebhookEndpoint, grace: timedelta = ROTATION_GRACE) -> str:
    """A new secret (returned once); the old one keeps verifying for `grace` (both are signed)."""
    check(actor, LibraryCommand.WEBHOOK_MANAGE, endpoint.team_id, what="webhook endpoint")
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + grace
    endpoint.secret = new_secret()
    endpoint.save()
    return endpoint.secret


def webhook_test_send(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a `webhook.test` event to this endpoint only (also when it is disabled: owners check the fix)."""
    check(actor, LibraryCommand.WEBHOOK_MANAGE, endpoint.team_id, what="webhook endpoint")
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            team_id=endpoint.team_id,
            type=EventType.TEST,
            subject=f"test:{endpoint.pk}",
            data={"endpoint_id": endpoint.pk, "message": "A test event from Framewise."},
        )
        delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint)
        jobs.enqueue(DELIVERY, delivery.pk)
    return delivery


# --- reads (owners only) -----------------------------------------------------------------------


def endpoints_for_owner(actor: Actor, teams: Iterable[Team]) -> QuerySet[WebhookEndpoint]:
    """The endpoints of the teams the actor owns (operators: all of `teams`)."""
    owned = [team.pk for team in teams if owns(actor, team)]
    return WebhookEndpoint.objects.visible_to(owned)


def owns(actor: Actor, team: Team) -> bool:
    return may(actor, LibraryCommand.WEBHOOK_MANAGE, team)
