"""Ingest API rate limit: at most INGEST_RATE_LIMIT_PER_MINUTE requests a minute per
API token, counted in the database so every web process shares one count.

Fixed one-minute windows keyed by the token's hash: a counter row per token and
minute, incremented and read in one short transaction. A request over the limit
is answered 429 before its body is read, so nothing of it is stored. Fixed windows
let a client send up to twice the limit across a window boundary; acceptable, since
the point is to protect the database from a runaway client, not exact metering.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .http import HttpProblem
from .models import IngestRateWindow

WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    count: int
    retry_after: int  # whole seconds until the current window ends


def limit_per_minute():
    """The configured limit; 0 (or less) turns limiting off."""
    return settings.INGEST_RATE_LIMIT_PER_MINUTE


def clock():
    """The time windows are measured by (one place, so tests can hold it still)."""
    return timezone.now()


def window_of(now):
    return now.replace(second=0, microsecond=0)


def ingest_rate_check(*, token_hash, now=None):
    """Count one request for this token and say whether it is within the limit."""
    limit = limit_per_minute()
    if limit <= 0:
        return Verdict(True, 0, 0, 0)
    now = now or clock()
    start = window_of(now)
    count = _count_one(token_hash, start)
    left = (start + WINDOW - now).total_seconds()
    return Verdict(count <= limit, limit, count, max(1, math.ceil(left)))


def ingest_rate_limit(source):
    """Raise a 429 HttpProblem if ``source``'s token has used up this minute."""
    verdict = ingest_rate_check(token_hash=source.api_token_hash)
    if verdict.allowed:
        return verdict
    raise HttpProblem(
        429,
        "rate_limited",
        f"this token may make {verdict.limit} requests a minute; "
        f"retry in {verdict.retry_after} s (nothing was stored)",
        limit=verdict.limit,
        retry_after=verdict.retry_after,
    )


def _count_one(token_hash, start):
    """The window's count after adding this request.

    The increment and the read share a transaction: the UPDATE holds the row (the
    database, on SQLite) until the count is read, so concurrent requests each see
    their own number and exactly ``limit`` of them pass.
    """
    window = IngestRateWindow.objects.filter(token_hash=token_hash, window_start=start)
    with transaction.atomic():
        if window.update(count=F("count") + 1):
            return window.values_list("count", flat=True).get()
        try:
            with transaction.atomic():
                IngestRateWindow.objects.create(
                    token_hash=token_hash, window_start=start, count=1
                )
        except IntegrityError:
            # Another process opened this window first: count in it.
            window.update(count=F("count") + 1)
            return window.values_list("count", flat=True).get()
        # A new window: the finished ones of this token are no longer needed.
        IngestRateWindow.objects.filter(
            token_hash=token_hash, window_start__lt=start
        ).delete()
        return 1
