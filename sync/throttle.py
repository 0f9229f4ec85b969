"""Per-connection limits shared by every worker process through the database.

Intacct limits each company's request rate and its concurrent requests, whichever
cluster the requests come from; an in-process limiter would let two clusters double
the rate. These classes implement the client's pluggable protocols
(``sync.intacct.ratelimit``: RateLimiter, ConcurrencyLimiter, TransactionMeter) on
rows changed in short transactions, never held across a remote call.
"""

import threading
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import ApiUsage, ConnectionSlot, ConnectionThrottle

SLOT_LEASE = timedelta(seconds=120)
POLL_SECONDS = 0.05


class DatabaseRateLimiter:
    """A token bucket of ``rate`` requests/s; a reservation may run it negative, so
    callers queue behind each other instead of racing for the next token."""

    def __init__(self, connection_id, *, rate, burst=1.0, clock=timezone.now):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.connection_id = connection_id
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.clock = clock

    def _bucket(self, now):
        ConnectionThrottle.objects.get_or_create(
            connection_id=self.connection_id,
            defaults={"tokens": self.burst, "refilled_at": now},
        )
        return ConnectionThrottle.objects.select_for_update().get(
            connection_id=self.connection_id
        )

    def reserve(self, scope=None):
        """Take one request; return the seconds to wait before sending it."""
        now = self.clock()
        with transaction.atomic():
            bucket = self._bucket(now)
            elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate) - 1.0
            bucket.refilled_at = now
            bucket.save(update_fields=["tokens", "refilled_at"])
            wait = 0.0 if bucket.tokens >= 0 else -bucket.tokens / self.rate
            if bucket.paused_until and bucket.paused_until > now:
                wait = max(wait, (bucket.paused_until - now).total_seconds())
        return wait

    def pause(self, scope=None, seconds=0.0):
        """Hold every worker's requests for this connection for ``seconds``."""
        now = self.clock()
        until = now + timedelta(seconds=seconds)
        with transaction.atomic():
            bucket = self._bucket(now)
            if not bucket.paused_until or bucket.paused_until < until:
                bucket.paused_until = until
                bucket.save(update_fields=["paused_until"])
        _usage(self.connection_id, now).update(rate_limited=F("rate_limited") + 1)


class DatabaseConcurrencyLimiter:
    """At most ``limit`` requests in flight per connection, across all processes.

    Each slot is a leased row; a crashed holder's lease expires and the slot frees.
    """

    def __init__(self, connection_id, *, limit, clock=timezone.now, sleep=time.sleep):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.connection_id = connection_id
        self.limit = limit
        self.clock = clock
        self.sleep = sleep
        self._held = threading.local()

    def _ensure_slots(self):
        ConnectionSlot.objects.bulk_create(
            [
                ConnectionSlot(connection_id=self.connection_id, number=n)
                for n in range(self.limit)
            ],
            ignore_conflicts=True,
        )

    def try_acquire(self, holder):
        """Lease a free (or expired) slot to ``holder``; the slot number, or None."""
        now = self.clock()
        free = Q(holder="") | Q(expires_at__lt=now)
        candidates = ConnectionSlot.objects.filter(
            free, connection_id=self.connection_id, number__lt=self.limit
        ).values_list("pk", "number")
        for pk, number in candidates:
            # A guarded update: only one caller can turn a free slot into its own.
            if ConnectionSlot.objects.filter(free, pk=pk).update(
                holder=holder, expires_at=now + SLOT_LEASE
            ):
                return number
        return None

    def acquire(self, scope=None, timeout=None):
        """Wait up to ``timeout`` seconds for a slot; True once this thread has one."""
        self._ensure_slots()
        holder = uuid.uuid4().hex
        waited = 0.0
        while self.try_acquire(holder) is None:
            if timeout is not None and waited >= timeout:
                return False
            self.sleep(POLL_SECONDS)
            waited += POLL_SECONDS
        self._stack().append(holder)
        return True

    def release(self, scope=None):
        holder = self._stack().pop()
        ConnectionSlot.objects.filter(
            connection_id=self.connection_id, holder=holder
        ).update(holder="", expires_at=None)

    def _stack(self):
        if not hasattr(self._held, "holders"):
            self._held.holders = []
        return self._held.holders


def _usage(connection_id, now):
    day = timezone.localdate(now)
    ApiUsage.objects.get_or_create(connection_id=connection_id, day=day)
    return ApiUsage.objects.filter(connection_id=connection_id, day=day)


class DatabaseMeter:
    """Billed Intacct API transactions per connection and day, shared by all workers."""

    def __init__(self, connection_id, *, clock=timezone.now):
        self.connection_id = connection_id
        self.clock = clock

    def add(self, scope=None, count=0):
        if count:
            _usage(self.connection_id, self.clock()).update(
                transactions=F("transactions") + count
            )

    def total(self, scope=None):
        day = timezone.localdate(self.clock())
        usage = ApiUsage.objects.filter(connection_id=self.connection_id, day=day)
        return usage.values_list("transactions", flat=True).first() or 0
