"""Per-connection limits shared by every worker process through the database.

Intacct limits each company's request rate and its concurrent requests, whichever
cluster the requests come from; an in-process limiter would let two clusters double
the rate. Both limiters keep their state in rows (``ConnectionThrottle``,
``ConnectionSlot``) changed in short transactions, never held across a remote call.
"""

import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ConnectionSlot, ConnectionThrottle

SLOT_LEASE = timedelta(seconds=120)
POLL_SECONDS = 0.05


class LimitTimeout(Exception):
    """A limiter could not grant a request within the caller's deadline."""


class DatabaseRateLimiter:
    """A token bucket of ``rate`` requests per second and ``burst`` capacity."""

    def __init__(
        self, connection_id, *, rate, burst=1.0, clock=timezone.now, sleep=time.sleep
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.connection_id = connection_id
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.clock = clock
        self.sleep = sleep

    def acquire(self, *, timeout=None):
        """Block until one request may be sent (or raise LimitTimeout)."""
        waited = 0.0
        while True:
            wait = self.try_acquire()
            if wait == 0:
                return
            if timeout is not None and waited + wait > timeout:
                raise LimitTimeout(f"rate limit: no token within {timeout}s")
            self.sleep(wait)
            waited += wait

    def try_acquire(self):
        """Take a token if one is there; else return the seconds until one will be."""
        now = self.clock()
        ConnectionThrottle.objects.get_or_create(
            connection_id=self.connection_id,
            defaults={"tokens": self.burst, "refilled_at": now},
        )
        with transaction.atomic():
            bucket = ConnectionThrottle.objects.select_for_update().get(
                connection_id=self.connection_id
            )
            elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
            tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            if tokens >= 1.0:
                bucket.tokens, bucket.refilled_at = tokens - 1.0, now
                bucket.save(update_fields=["tokens", "refilled_at"])
                return 0.0
            # Do not store the partial refill: the next caller recomputes it from time.
            return (1.0 - tokens) / self.rate


class DatabaseConcurrencyCap:
    """At most ``limit`` requests in flight per connection, across all processes."""

    def __init__(self, connection_id, *, limit, clock=timezone.now, sleep=time.sleep):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.connection_id = connection_id
        self.limit = limit
        self.clock = clock
        self.sleep = sleep

    def _ensure_slots(self):
        existing = set(
            ConnectionSlot.objects.filter(connection_id=self.connection_id).values_list(
                "number", flat=True
            )
        )
        missing = [n for n in range(self.limit) if n not in existing]
        if missing:
            ConnectionSlot.objects.bulk_create(
                [
                    ConnectionSlot(connection_id=self.connection_id, number=n)
                    for n in missing
                ],
                ignore_conflicts=True,
            )

    def try_acquire(self, holder):
        """Lease a free (or expired) slot to ``holder``; the slot number, or None."""
        self._ensure_slots()
        now = self.clock()
        free = Q(holder="") | Q(expires_at__lt=now)
        candidates = ConnectionSlot.objects.filter(
            free, connection_id=self.connection_id, number__lt=self.limit
        ).values_list("pk", "number")
        for pk, number in candidates:
            # A guarded update: only one caller can turn a free slot into its own.
            taken = ConnectionSlot.objects.filter(free, pk=pk).update(
                holder=holder, expires_at=now + SLOT_LEASE
            )
            if taken:
                return number
        return None

    def release(self, holder):
        ConnectionSlot.objects.filter(
            connection_id=self.connection_id, holder=holder
        ).update(holder="", expires_at=None)

    @contextmanager
    def slot(self, *, timeout=None):
        """Hold one slot for the duration of the block."""
        holder = uuid.uuid4().hex
        waited = 0.0
        while self.try_acquire(holder) is None:
            if timeout is not None and waited >= timeout:
                raise LimitTimeout(
                    f"concurrency cap {self.limit}: no slot in {timeout}s"
                )
            self.sleep(POLL_SECONDS)
            waited += POLL_SECONDS
        try:
            yield
        finally:
            self.release(holder)
