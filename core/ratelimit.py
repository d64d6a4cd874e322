"""One API rate limit for all processes: a fixed-window counter that is incremented atomically.

With `REDIS_URL`, the counter is a Redis key (INCR and EXPIRE in one MULTI); without it, a row of
`RateCounter` moved and incremented by conditional UPDATEs. Django's cache `incr` is not used:
on the database and local-memory caches it is a read followed by a write, so two processes can
both read 9 and both write 10, and a per-process memory cache counts each process on its own.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from core.models import ApiKey, RateCounter


def hit(key: str, *, window_seconds: int, now: float | None = None) -> int:
    """Count one request under `key` in the current window; return the count including it."""
    now = time.time() if now is None else now
    window = int(now // window_seconds) * window_seconds
    if settings.REDIS_URL:
        return _hit_redis(f"{key}:{window}", window_seconds)
    return _hit_database(key, window)


def _hit_redis(key: str, window_seconds: int) -> int:
    from django.core.cache import cache

    client = cache._cache.get_client(key, write=True)  # type: ignore[attr-defined]  # the redis-py client
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(f"framewise:rate:{key}")
        pipe.expire(f"framewise:rate:{key}", window_seconds + 1)
        count, _ = pipe.execute()
    return int(count)


def _hit_database(key: str, window: int) -> int:
    for _attempt in range(3):
        rows = RateCounter.objects.filter(key=key)
        if rows.filter(window=window).update(count=F("count") + 1):
            break
        if rows.filter(window__lt=window).update(window=window, count=1):  # a new window begins
            break
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window=window, count=1)
            break
        except IntegrityError:
            continue  # another process created it first: increment that row
    return RateCounter.objects.filter(key=key).values_list("count", flat=True).first() or 1


class ApiKeyRateThrottle(BaseThrottle):
    """`API_RATE_LIMIT` requests per key and window (e.g. 600/min), counted across processes."""

    scope = "api_key"

    def __init__(self) -> None:
        rates: dict[str, str] = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # type: ignore[assignment]  # settings are untyped
        requests, duration = SimpleRateThrottle.parse_rate(None, rates[self.scope])  # type: ignore[arg-type]  # parse_rate needs no instance
        if requests is None or duration is None:
            raise ImproperlyConfigured(f"API_RATE_LIMIT must be like 600/min, not {rates[self.scope]!r}.")
        self.num_requests, self.duration = requests, duration
        self._retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        now = time.time()
        count = hit(f"{self.scope}:{request.auth.pk}", window_seconds=self.duration, now=now)
        if count <= self.num_requests:
            return True
        self._retry_after = self.duration - (now % self.duration)
        return False

    def wait(self) -> float | None:
        return self._retry_after
