"""The shared limits, driven by a fake clock: no test waits on real time."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sync.throttle import DatabaseConcurrencyCap, DatabaseRateLimiter, LimitTimeout
from tests.factories import make_connection

pytestmark = pytest.mark.django_db(transaction=True)


class FakeClock:
    def __init__(self):
        self.now = datetime(2026, 11, 24, tzinfo=UTC)

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += timedelta(seconds=seconds)


def test_the_rate_limiter_spaces_requests_at_the_configured_rate():
    clock = FakeClock()
    limiter = DatabaseRateLimiter(
        make_connection().pk, rate=5, clock=clock, sleep=clock.sleep
    )
    granted = []
    for _ in range(11):
        limiter.acquire()
        granted.append(clock.now)
    gaps = [(b - a).total_seconds() for a, b in zip(granted, granted[1:], strict=False)]
    assert min(gaps) >= 0.2 - 1e-9
    # Eleven requests at 5/s span two seconds: never faster than the rate.
    assert (granted[-1] - granted[0]).total_seconds() == pytest.approx(2.0)


def test_two_limiters_for_one_connection_share_one_bucket():
    clock = FakeClock()
    conn = make_connection()
    first, second = (
        DatabaseRateLimiter(conn.pk, rate=2, clock=clock, sleep=clock.sleep)
        for _ in range(2)
    )
    assert first.try_acquire() == 0
    assert second.try_acquire() == pytest.approx(0.5)  # the token is gone for both


def test_a_rate_limit_deadline_raises():
    clock = FakeClock()
    limiter = DatabaseRateLimiter(
        make_connection().pk, rate=1, clock=clock, sleep=clock.sleep
    )
    limiter.acquire()
    with pytest.raises(LimitTimeout):
        limiter.acquire(timeout=0.5)


def test_the_concurrency_cap_grants_at_most_limit_slots():
    conn = make_connection()
    cap = DatabaseConcurrencyCap(conn.pk, limit=2)
    assert cap.try_acquire("a") is not None
    assert cap.try_acquire("b") is not None
    assert cap.try_acquire("c") is None
    cap.release("a")
    assert cap.try_acquire("c") is not None


def test_an_expired_slot_lease_is_free_again():
    clock = FakeClock()
    cap = DatabaseConcurrencyCap(make_connection().pk, limit=1, clock=clock)
    assert cap.try_acquire("crashed-worker") is not None
    assert cap.try_acquire("next") is None
    clock.sleep(600)
    assert cap.try_acquire("next") is not None


def test_threads_never_hold_more_slots_than_the_limit():
    conn = make_connection()
    held, peak, lock = [0], [0], threading.Lock()
    errors = []

    def work():
        try:
            cap = DatabaseConcurrencyCap(conn.pk, limit=2)
            for _ in range(5):
                with cap.slot(timeout=30):
                    with lock:
                        held[0] += 1
                        peak[0] = max(peak[0], held[0])
                    with lock:
                        held[0] -= 1
        except Exception as exc:  # surfaced below; a thread cannot fail the test
            errors.append(exc)
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert peak[0] <= 2
