"""Sending deliveries: one job row per (event, endpoint) through core/jobs.py.

A worker claims the delivery, waits (re-schedules itself) while an earlier delivery of the
same endpoint and subject is unfinished, signs and POSTs the body through the guarded
fetcher with a short deadline and no redirects, and records the attempt. A 2xx status
delivers it, whatever its body does (only a snippet is read, briefly, and never failed on);
a timeout, a connection error or a 5xx schedules the next try after the backoff
(`RETRY_DELAYS`, about a day in all), then the delivery fails. A 4xx or a refused URL fails
at once. After FRAMEWISE_WEBHOOK_DISABLE_AFTER consecutive failed deliveries the
endpoint is disabled with a reason.

Backoff and recovery do not fight: a delivery waiting for its next try is `scheduled`, a
status the lifecycle's recovery does not know as waiting; `deliveries_due` (from the
maintenance job, every minute) hands due ones back as `pending`.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import addresses, jobs, outbound
from library.models import DeliveryStatus, EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from library.webhooks import signing


def _delays(total: float = 24 * 3600.0, first: float = 30.0, cap: float = 6 * 3600.0) -> tuple[float, ...]:
    delays: list[float] = []
    while sum(delays) < total:
        delays.append(min(first * 2 ** len(delays), cap))
    return tuple(delays)


# 30 s, 1, 2, 4, 8, 16, 32 min, 1.07, 2.1, 4.3 h, then 6 h three times: 14 tries over ~26.5 h
# (the waits between them; the first try is immediate).
RETRY_DELAYS = _delays()
SEND_DEADLINE = 10.0  # seconds for the whole request
SNIPPET_CHARS = 500  # of the receiver's answer, kept on the attempt for owners
SNIPPET_BYTES = 4 * SNIPPET_CHARS  # enough UTF-8 for that many characters
SNIPPET_SECONDS = 2.0  # to read them, once the status has arrived
ORDER_WAIT = timedelta(seconds=5)

DELIVERY: jobs.JobKind[WebhookDelivery] = jobs.JobKind(
    name="webhook",
    title="Webhook delivery",
    model=WebhookDelivery,
    function="library.webhooks.delivery.delivery_send",
    waiting=(DeliveryStatus.PENDING,),
    running=DeliveryStatus.SENDING,
    failed=DeliveryStatus.FAILED,
    crash_code="webhook_delivery_failed",
    related=("event", "endpoint"),
)


def body_of(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    payload = {
        "id": event.pk,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "type": event.type,
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def valid_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        found.append(endpoint.previous_secret)
    return found


def _earlier_unfinished(delivery: WebhookDelivery) -> bool:
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            event__subject=delivery.event.subject,
            event__created_at__lte=delivery.event.created_at,
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SCHEDULED),
        )
        .exclude(pk=delivery.pk)
        .filter(pk__lt=delivery.pk)
        .exists()
    )


def delivery_send(delivery_id: int, worker: str | None = None) -> None:
    lease = jobs.claim(DELIVERY, delivery_id, worker=worker)
    if lease is None:
        return
    with lease:
        delivery = lease.row
        if not delivery.endpoint.active and delivery.event.type != EventType.TEST:
            lease.fail(
                "endpoint_disabled", f"The endpoint is disabled: {delivery.endpoint.disabled_reason or 'by an owner'}."
            )
            return
        if _earlier_unfinished(delivery):  # events of one subject arrive in order
            lease.hand_over(DeliveryStatus.SCHEDULED, next_attempt_at=timezone.now() + ORDER_WAIT, attempts=0)
            return
        outcome = _attempt(delivery)
        _record(lease, delivery, outcome)


class _Outcome:
    def __init__(self, *, status: int | None, error: str, code: str, retry: bool) -> None:
        self.status, self.error, self.code, self.retry = status, error, code, retry

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _attempt(delivery: WebhookDelivery) -> _Outcome:
    body = body_of(delivery)
    now = timezone.now()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "TL-Signature": signing.header(valid_secrets(delivery.endpoint, now), timestamp, body),
        "User-Agent": "Framewise-Webhooks/1",
    }
    started = time.monotonic()
    status: int | None = None
    snippet, error, code, retry = "", "", "", False
    try:
        result = outbound.fetch(
            delivery.endpoint.url,
            method="POST",
            body=body,
            headers=headers,
            deadline=SEND_DEADLINE,
            max_bytes=SNIPPET_BYTES,
            max_redirects=0,
            allow=addresses.allowed_for("webhook"),
            # The status decides; the body is a sample for owners, read briefly and never failed on.
            snippet=(SNIPPET_BYTES, SNIPPET_SECONDS),
        )
        status = result.status
        snippet = (result.content or b"").decode("utf-8", "replace")[:SNIPPET_CHARS]
        if status >= 500 or status == 429:
            code, error, retry = "endpoint_error", f"The endpoint answered {status}.", True
        elif not 200 <= status < 300:
            code, error = "endpoint_refused", f"The endpoint answered {status}."
    except outbound.OutboundError as exc:
        code, error, retry = exc.code, exc.message, exc.transient
    WebhookAttempt.objects.create(
        delivery=delivery,
        started_at=now,
        latency_ms=(time.monotonic() - started) * 1000,
        status_code=status,
        response_snippet=snippet,
        error=error[:300],
    )
    return _Outcome(status=status, error=error, code=code, retry=retry)


def _record(lease: jobs.Lease[WebhookDelivery], delivery: WebhookDelivery, outcome: _Outcome) -> None:
    tries = delivery.tries + 1
    endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    with transaction.atomic():
        lease.lock()
        if outcome.ok:
            lease.complete(DeliveryStatus.DELIVERED, tries=tries, error_code="", error_message="")
            endpoint.update(consecutive_failures=0)
            _wake_next(delivery)
            return
        if outcome.retry and tries <= len(RETRY_DELAYS):
            delay = RETRY_DELAYS[tries - 1]
            # attempts counts claims for the lifecycle's worker_lost limit: per try, not per delivery.
            lease.hand_over(
                DeliveryStatus.SCHEDULED,
                tries=tries,
                attempts=0,
                error_code=outcome.code,
                error_message=outcome.error,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
            )
            return
        gave_up = f" (gave up after {tries} tries)" if outcome.retry else ""
        lease.complete(
            DeliveryStatus.FAILED, tries=tries, error_code=outcome.code, error_message=outcome.error + gave_up
        )
        _count_failure(delivery.endpoint_id, outcome.error)
        _wake_next(delivery)


def _count_failure(endpoint_id: int, error: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.FRAMEWISE_WEBHOOK_DISABLE_AFTER
    WebhookEndpoint.objects.filter(pk=endpoint_id, active=True, consecutive_failures__gte=limit).update(
        active=False,
        disabled_reason=f"Disabled after {limit} consecutive failed deliveries; the last: {error}",
    )


def _wake_next(delivery: WebhookDelivery) -> None:
    """The next delivery of the same subject may be waiting for this one: send it now."""
    following = (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            event__subject=delivery.event.subject,
            status=DeliveryStatus.SCHEDULED,
            pk__gt=delivery.pk,
        )
        .order_by("pk")
        .first()
    )
    if following is not None and following.tries == 0:
        WebhookDelivery.objects.filter(pk=following.pk, status=DeliveryStatus.SCHEDULED).update(
            status=DeliveryStatus.PENDING, next_attempt_at=None, updated_at=timezone.now()
        )
        jobs.enqueue(DELIVERY, following.pk)


def deliveries_due(*, now: datetime | None = None) -> int:
    """Hand scheduled deliveries whose time came back to the workers (the maintenance job calls this)."""
    now = now or timezone.now()
    count = 0
    for delivery_id in WebhookDelivery.objects.filter(
        status=DeliveryStatus.SCHEDULED, next_attempt_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SCHEDULED).update(
                status=DeliveryStatus.PENDING, updated_at=now
            ):
                jobs.enqueue(DELIVERY, delivery_id)
                count += 1
    return count
