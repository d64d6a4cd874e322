from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """Requests counted in the current fixed window of one rate-limit key (no Redis configured).

    One row per key, moved forward to a new window by a conditional UPDATE, so every web
    process shares the count and no increment is lost (core/ratelimit.py).
    """

    key = models.CharField(max_length=200, unique=True)
    window = models.BigIntegerField()  # window start, in seconds since the epoch
    count = models.PositiveIntegerField(default=0)
