"""The login throttle: django-axes per user name and address, plus a limit per address alone.

Axes locks a (user name, client address) pair after LOGIN_FAILURE_LIMIT failures. A client that
tries one password on many user names never reaches that, so failures are also summed per
address over every name: past LOGIN_ADDRESS_FAILURE_LIMIT within the lockout period, that address
is locked out too (for every name, a right password included), until the period has passed.
The address is the one axes counts (core/clientip.py: TRUSTED_PROXY_COUNT).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from core.clientip import client_ip


def address_failures(request: HttpRequest) -> int:
    """Failed logins from the request's client address within the lockout period, over all names."""
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    attempts = AccessAttempt.objects.filter(ip_address=address)
    cool_off = get_cool_off(request)
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class AddressLimitedAxesHandler(AxesDatabaseHandler):
    """Axes's database handler; a login is also refused while its address is over its own limit."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure that reaches the address's limit is answered as a lockout, as axes answers
        # the one that reaches a name's limit (AxesMiddleware turns the flag into a 429).
        if request is not None and address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True  # type: ignore[attr-defined]  # axes's flag on the request
