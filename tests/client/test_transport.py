"""Retry policy of the one transport, at the HTTP seam (httpx.MockTransport)."""

import threading
import time

import httpx
import pytest

from sync.intacct import errors
from sync.intacct.ratelimit import SemaphoreLimiter, TokenBucket
from sync.intacct.transport import Transport


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make(handler, **kw):
    clock = FakeClock()
    kw.setdefault("rate_limiter", TokenBucket(rate=0, clock=clock))
    t = Transport(
        base_url="https://sandbox.test",
        scope="co",
        http_transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: 1.0,
        **kw,
    )
    return t, clock


def scripted(*answers):
    calls = []

    def handler(request):
        calls.append(request)
        answer = answers[min(len(calls) - 1, len(answers) - 1)]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, calls


def test_429_waits_for_retry_after_then_succeeds():
    handler, calls = scripted(
        httpx.Response(429, headers={"X-IA-Throttle-Limit-RetryAfter": "7"}),
        httpx.Response(200, json={}),
    )
    t, clock = make(handler)
    assert t.request("GET", "/x", protocol="rest", write=True).status_code == 200
    assert len(calls) == 2 and clock.sleeps[0] == 7


def test_retry_after_is_capped():
    handler, calls = scripted(
        httpx.Response(429, headers={"Retry-After": "99999"}),
        httpx.Response(200),
    )
    t, clock = make(handler, retry_after_cap=30)
    t.request("GET", "/x", protocol="rest", write=False)
    assert max(clock.sleeps) == 30


def test_backoff_doubles_to_the_cap_with_jitter_bound():
    handler, calls = scripted(httpx.Response(503))
    t, clock = make(handler, backoff_base=1, backoff_cap=4, max_retries=4)
    with pytest.raises(errors.ServiceUnavailable) as info:
        t.request("GET", "/x", protocol="rest", write=True)
    assert clock.sleeps == [1, 2, 4, 4]  # rng() == 1.0: the upper bound
    assert info.value.retryable and len(calls) == 5


def test_a_write_that_gets_a_500_is_outcome_unknown_and_not_resent():
    handler, calls = scripted(httpx.Response(500), httpx.Response(201))
    t, _ = make(handler)
    with pytest.raises(errors.OutcomeUnknown) as info:
        t.request("POST", "/x", protocol="rest", write=True, idempotency_keys=["k1"])
    assert info.value.idempotency_key == "k1" and len(calls) == 1


def test_524_on_a_write_is_outcome_unknown():
    handler, calls = scripted(httpx.Response(524))
    t, _ = make(handler)
    with pytest.raises(errors.OutcomeUnknown):
        t.request("POST", "/x", protocol="xml", write=True, idempotency_keys=["k"])
    assert len(calls) == 1


def test_a_read_retries_any_5xx():
    handler, calls = scripted(
        httpx.Response(500), httpx.Response(524), httpx.Response(200)
    )
    t, _ = make(handler)
    assert t.request("POST", "/q", protocol="rest", write=False).status_code == 200
    assert len(calls) == 3


def test_a_dropped_write_is_outcome_unknown_but_a_refused_connection_retries():
    handler, calls = scripted(httpx.ReadTimeout("slow"))
    t, _ = make(handler)
    with pytest.raises(errors.OutcomeUnknown) as info:
        t.request("POST", "/x", protocol="rest", write=True, idempotency_keys=["abc"])
    assert info.value.idempotency_keys == ("abc",)

    handler, calls = scripted(httpx.ConnectError("refused"), httpx.Response(201))
    t, _ = make(handler)
    assert t.request("POST", "/x", protocol="rest", write=True).status_code == 201
    assert len(calls) == 2


def test_connection_errors_exhaust_into_transport_error():
    handler, calls = scripted(httpx.ConnectError("refused"))
    t, _ = make(handler, max_retries=2)
    with pytest.raises(errors.TransportError):
        t.request("GET", "/x", protocol="rest", write=False)
    assert len(calls) == 3


def test_token_bucket_spaces_requests():
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=1, clock=clock)
    waits = [bucket.reserve("co") for _ in range(3)]
    assert waits == [0.0, 0.5, 1.0]
    bucket.pause("co", 10)
    assert bucket.reserve("co") >= 10


def test_concurrency_cap_holds_under_threads():
    limiter = SemaphoreLimiter(cap=2)
    seen = []

    def handler(request):
        seen.append(limiter.in_flight["co"])
        time.sleep(0.01)
        return httpx.Response(200)

    t = Transport(
        base_url="https://sandbox.test",
        scope="co",
        http_transport=httpx.MockTransport(handler),
        concurrency=limiter,
        rate_limiter=TokenBucket(rate=0),
    )
    threads = [
        threading.Thread(
            target=t.request,
            args=("GET", "/x"),
            kwargs={"protocol": "rest", "write": False},
        )
        for _ in range(8)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert max(seen) <= 2 and limiter.peak["co"] == 2


def test_meter_counts_billed_transactions_on_success_only():
    handler, _ = scripted(httpx.Response(200), httpx.Response(422, json={}))
    t, _ = make(handler)
    t.request("POST", "/x", protocol="rest", write=True, billed=3)
    with pytest.raises(errors.BusinessRuleError):
        t.request("POST", "/x", protocol="rest", write=True, billed=1)
    assert t.meter.total("co") == 3


# -- the deadline: nothing is sent, and nothing waits, past it ----------------------


def test_nothing_is_sent_once_the_deadline_has_passed():
    handler, calls = scripted(httpx.Response(200, json={}))
    t, clock = make(handler, deadline=5.0)
    clock.now = 5.0
    with pytest.raises(errors.DeadlineReached) as caught:
        t.request("POST", "/x", protocol="rest", write=True)
    assert calls == []
    assert caught.value.retryable  # nothing reached Intacct: safe to try later


def test_a_retry_after_longer_than_the_time_left_is_not_waited_out():
    handler, calls = scripted(
        httpx.Response(429, headers={"Retry-After": "30"}),
        httpx.Response(200, json={}),
    )
    t, clock = make(handler, deadline=10.0)
    with pytest.raises(errors.RateLimited) as caught:
        t.request("POST", "/x", protocol="rest", write=True)
    assert len(calls) == 1 and clock.sleeps == []
    assert caught.value.retry_after == 30  # the hub's retry schedule takes it over


def test_a_backoff_that_fits_before_the_deadline_is_still_taken():
    handler, calls = scripted(
        httpx.Response(503), httpx.Response(200, json={"ok": True})
    )
    t, clock = make(handler, deadline=10.0)
    assert t.request("GET", "/x", protocol="rest", write=False).json() == {"ok": True}
    assert len(calls) == 2 and clock.sleeps == [0.5]


def test_a_request_times_out_at_the_deadline_at_the_latest():
    seen = []

    def handler(request):
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    t, clock = make(handler, deadline=3.0)
    clock.now = 1.0
    t.request("GET", "/x", protocol="rest", write=False)
    assert seen[0]["read"] == pytest.approx(2.0)
    assert seen[0]["connect"] == pytest.approx(2.0)
