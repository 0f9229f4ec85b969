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

from django.db import connection as db
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import ApiUsage, ConnectionSlot, ConnectionThrottle

SLOT_LEASE = timedelta(seconds=120)
POLL_SECONDS = 0.05

#: This thread's latest reservation per connection: (limiter, when it may go). The
#: client reserves a request's time first and then waits for a concurrency slot; the
#: slot is where a late request is noticed and re-paced (DatabaseConcurrencyLimiter).
_RESERVED = threading.local()


def _note_reservation(connection_id, limiter, go_at):
    _RESERVED.__dict__[connection_id] = (limiter, go_at)


def _take_reservation(connection_id):
    return _RESERVED.__dict__.pop(connection_id, None)


def database_now():
    """The database server's clock. Workers on several machines share one bucket, so
    its arithmetic must not mix their clocks: a machine whose clock runs ahead would
    otherwise see tokens its peers have not earned yet."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
    return timezone.now()  # SQLite: one machine, one clock


class DatabaseRateLimiter:
    """A token bucket of ``rate`` requests/s; a reservation may run it negative, so
    callers queue behind each other instead of racing for the next token.

    The bucket holds ``burst`` tokens (1 by default: no burst above the rate), so in
    any window [t, t + 1 s) at most ``rate + burst - 1`` requests are let go.

    A request that goes out late (it waited for a concurrency slot, or for the
    database) would bunch up with the ones reserved after it, and a second could
    then hold more than ``rate`` requests. So the concurrency slot, taken just
    before sending, re-paces a request more than ``late_tolerance`` (half a slot)
    behind its time: it takes a fresh slot and waits for it.

    A caller may give up a reservation it cannot wait for (the client does when its
    deadline comes first). Left in place, every such reservation would push the
    queue one slot further out, and a worker that gives up on a hundred writes in a
    row would stall every worker of every cluster for a hundred slots. So when the
    same caller (thread) reserves again before its previous slot came, that slot
    was certainly not used: if it is still the last one queued, it is handed back.
    """

    def __init__(self, connection_id, *, rate, burst=1.0, clock=database_now):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.connection_id = connection_id
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.clock = clock
        self.late_tolerance = 0.5 / self.rate
        self._last = threading.local()  # this thread's latest slot, if any

    def _bucket(self):
        ConnectionThrottle.objects.get_or_create(
            connection_id=self.connection_id,
            defaults={"tokens": self.burst, "refilled_at": self.clock()},
        )
        return ConnectionThrottle.objects.select_for_update().get(
            connection_id=self.connection_id
        )

    def _queue_end(self, bucket):
        """When the last slot handed out comes (tokens below zero are a queue)."""
        return bucket.refilled_at + timedelta(
            seconds=max(0.0, -bucket.tokens) / self.rate
        )

    def reserve(self, scope=None):
        """Take one request; return the seconds to wait before sending it."""
        with transaction.atomic():
            bucket = self._bucket()
            # Read the clock only once the row is locked: a time read before waiting
            # for the lock would be older than the holder's, and the refill would
            # count the same interval twice.
            now = max(self.clock(), bucket.refilled_at)
            self._hand_back_unused(bucket, now)
            elapsed = (now - bucket.refilled_at).total_seconds()
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate) - 1.0
            bucket.refilled_at = now
            bucket.save(update_fields=["tokens", "refilled_at"])
            slot = self._queue_end(bucket)
            self._last.slot = slot
            wait = (slot - now).total_seconds()
            if bucket.paused_until and bucket.paused_until > now:
                wait = max(wait, (bucket.paused_until - now).total_seconds())
        _note_reservation(self.connection_id, self, now + timedelta(seconds=wait))
        return wait

    def _hand_back_unused(self, bucket, now):
        """Return this thread's previous slot if it has not come yet (so it was not
        used) and nobody queued behind it (so handing it back moves no one's)."""
        slot, self._last.slot = getattr(self._last, "slot", None), None
        if slot is None or slot <= now:
            return
        if abs((self._queue_end(bucket) - slot).total_seconds()) < 1e-6:
            bucket.tokens += 1.0

    def pause(self, scope=None, seconds=0.0):
        """Hold every worker's requests for this connection for ``seconds``."""
        now = self.clock()
        until = now + timedelta(seconds=seconds)
        with transaction.atomic():
            bucket = self._bucket()
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
        """Wait up to ``timeout`` seconds for a slot; True once this thread has one
        and may send (re-paced if it came too late for its reserved time)."""
        started = time.monotonic()
        self._ensure_slots()
        holder = uuid.uuid4().hex
        slept = 0.0

        def left():
            # Sleeps counted as asked (tests pass a fake sleep), database time as
            # spent: both use up the caller's time.
            spent = max(slept, time.monotonic() - started)
            return None if timeout is None else timeout - spent

        while self.try_acquire(holder) is None:
            if timeout is not None and left() <= 0:
                return False
            self.sleep(POLL_SECONDS)
            slept += POLL_SECONDS
        self._stack().append(holder)
        if not self._on_time(left()):
            self.release(scope)
            return False
        return True

    def _on_time(self, left):
        """Re-pace this thread's request if it is later than its reserved time by
        more than the rate limiter tolerates; False if that takes longer than
        ``left`` seconds."""
        reserved = _take_reservation(self.connection_id)
        if reserved is None:
            return True
        limiter, go_at = reserved
        if (limiter.clock() - go_at).total_seconds() <= limiter.late_tolerance:
            return True
        wait = limiter.reserve()  # a fresh time; the missed one is in the past
        _take_reservation(self.connection_id)
        if left is not None and wait >= left:
            return False  # handed back by this thread's next reservation
        if wait > 0:
            self.sleep(wait)
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
