"""The shared limits, driven by a fake clock: no test waits on real time."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sync.intacct.ratelimit import (
    ConcurrencyLimiter,
    RateLimiter,
    TransactionMeter,
    slot,
)
from sync.models import ApiUsage
from sync.throttle import DatabaseConcurrencyLimiter, DatabaseMeter, DatabaseRateLimiter
from tests.concurrency import side_by_side
from tests.factories import make_connection

pytestmark = pytest.mark.django_db(transaction=True)


class FakeClock:
    def __init__(self):
        self.now = datetime(2026, 11, 24, 12, tzinfo=UTC)

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += timedelta(seconds=seconds)


def test_they_offer_every_method_of_the_client_protocols():
    conn = make_connection()
    pairs = [
        (DatabaseRateLimiter(conn.pk, rate=1), RateLimiter),
        (DatabaseConcurrencyLimiter(conn.pk, limit=1), ConcurrencyLimiter),
        (DatabaseMeter(conn.pk), TransactionMeter),
    ]
    for implementation, protocol in pairs:
        for name in ("reserve", "pause", "acquire", "release", "add", "total"):
            if hasattr(protocol, name):
                assert callable(getattr(implementation, name)), (protocol, name)


def test_the_clients_slot_helper_holds_a_database_slot():
    cap = DatabaseConcurrencyLimiter(make_connection().pk, limit=1, sleep=lambda s: 0)
    with slot(cap, "co", timeout=1):
        assert not cap.acquire("co", timeout=0)
    assert cap.acquire("co", timeout=0)


def test_requests_are_spaced_at_the_configured_rate():
    clock = FakeClock()
    limiter = DatabaseRateLimiter(make_connection().pk, rate=5, clock=clock)
    sent = []
    for _ in range(11):
        clock.sleep(limiter.reserve("co"))
        sent.append(clock.now)
    gaps = [(b - a).total_seconds() for a, b in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= 0.2 - 1e-9
    assert (sent[-1] - sent[0]).total_seconds() == pytest.approx(2.0)


def test_two_limiters_for_one_connection_share_one_bucket_and_queue():
    clock = FakeClock()
    conn = make_connection()
    first, second = (
        DatabaseRateLimiter(conn.pk, rate=2, clock=clock) for _ in range(2)
    )
    assert first.reserve("co") == 0
    assert second.reserve("co") == pytest.approx(0.5)
    assert first.reserve("co") == pytest.approx(1.0)  # queued behind the second


def test_a_pause_holds_every_worker_and_is_counted():
    clock = FakeClock()
    conn = make_connection()
    limiter = DatabaseRateLimiter(conn.pk, rate=100, clock=clock)
    limiter.pause("co", 30)
    other = DatabaseRateLimiter(conn.pk, rate=100, clock=clock)
    assert other.reserve("co") == pytest.approx(30)
    assert ApiUsage.objects.get(connection=conn).rate_limited == 1


def test_the_concurrency_cap_grants_at_most_limit_slots():
    cap = DatabaseConcurrencyLimiter(
        make_connection().pk, limit=2, sleep=lambda s: None
    )
    assert cap.acquire("co", timeout=0)
    assert cap.acquire("co", timeout=0)
    assert not cap.acquire("co", timeout=0.1)
    cap.release("co")
    assert cap.acquire("co", timeout=0)


def test_an_expired_slot_lease_is_free_again():
    clock = FakeClock()
    conn = make_connection()
    crashed = DatabaseConcurrencyLimiter(conn.pk, limit=1, clock=clock)
    assert crashed.acquire("co", timeout=0)  # and never released
    survivor = DatabaseConcurrencyLimiter(conn.pk, limit=1, clock=clock)
    assert not survivor.acquire("co", timeout=0)
    clock.sleep(600)
    assert survivor.acquire("co", timeout=0)


def test_threads_never_hold_more_slots_than_the_limit():
    conn = make_connection()
    held, peak, lock = [0], [0], threading.Lock()

    def work():
        cap = DatabaseConcurrencyLimiter(conn.pk, limit=2)
        for _ in range(5):
            assert cap.acquire("co", timeout=30)
            with lock:
                held[0] += 1
                peak[0] = max(peak[0], held[0])
            with lock:
                held[0] -= 1
            cap.release("co")

    assert side_by_side(work, 4) == []
    assert peak[0] <= 2


def test_the_meter_counts_per_connection_and_day():
    clock = FakeClock()
    conn = make_connection()
    meter = DatabaseMeter(conn.pk, clock=clock)
    meter.add("co", 3)
    DatabaseMeter(conn.pk, clock=clock).add("co", 2)
    assert meter.total("co") == 5
    clock.sleep(86400)
    assert meter.total("co") == 0
    meter.add("co", 1)
    assert ApiUsage.objects.filter(connection=conn).count() == 2
