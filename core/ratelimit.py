"""One API rate limit for all processes: a fixed-window counter that is incremented atomically.

With `REDIS_URL`, the counter is a Redis key (INCR and EXPIRE in one MULTI); without it, a row of
`RateCounter` moved and incremented by conditional UPDATEs. Django's cache `incr` is not used:
on the database and local-memory caches it is a read followed by a write, so two processes can
both read 9 and both write 10, and a per-process memory cache counts each process on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseBase
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


SCOPE = "api_key"


def _rate() -> tuple[int, int]:
    """(requests, window seconds) of API_RATE_LIMIT."""
    rates: dict[str, str] = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # type: ignore[assignment]  # settings are untyped
    requests, duration = SimpleRateThrottle.parse_rate(None, rates[SCOPE])  # type: ignore[arg-type]  # parse_rate needs no instance
    if requests is None or duration is None:
        raise ImproperlyConfigured(f"API_RATE_LIMIT must be like 600/min, not {rates[SCOPE]!r}.")
    return requests, duration


def counter_of(request: HttpRequest | Request) -> str | None:
    """Whose requests this one counts against: its API key, or its logged-in user; None: anonymous.

    A browser session is held to the same limit as a key (it can run the same searches, image
    fetches and generations); a session's requests to the APIs and to the pages share one count.
    """
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return f"{SCOPE}:{auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"{SCOPE}:session:{user.pk}"
    return None


def retry_after(request: HttpRequest | Request) -> float | None:
    """Count the request; None if it is within API_RATE_LIMIT, else seconds until the window ends."""
    key = counter_of(request)
    if key is None:
        return None
    requests, duration = _rate()
    now = time.time()
    if hit(key, window_seconds=duration, now=now) <= requests:
        return None
    return duration - (now % duration)


def rate_limited(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For page views that do work (search, generation): the API's limit, per logged-in user."""

    @wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        wait = retry_after(request)
        if wait is not None:
            seconds = int(wait) + 1
            response = HttpResponse(
                f"Too many requests; try again in {seconds} seconds.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(seconds)
            return response
        return view(request, *args, **kwargs)

    return limited


class ApiKeyRateThrottle(BaseThrottle):
    """`API_RATE_LIMIT` requests per key, or per logged-in user, and window (e.g. 600/min), across processes."""

    scope = SCOPE

    def __init__(self) -> None:
        _rate()  # a malformed API_RATE_LIMIT is refused on the first request, as before
        self._retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        self._retry_after = retry_after(request)
        return self._retry_after is None

    def wait(self) -> float | None:
        return self._retry_after
