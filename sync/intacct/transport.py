"""The one place the client talks HTTP.

One `Transport` per connection wraps one `httpx.Client` (keep-alive). It sends,
classifies, and retries only where that is safe:

1. connection errors before the request left: always retried;
2. 429 and 503 (Intacct refused before doing anything): retried, honouring
   Retry-After and the X-IA-* retry headers up to a cap;
3. any other 5xx, 524, a timeout or a dropped connection after sending:
   retried for reads; for writes the outcome is unknown, so `OutcomeUnknown`
   is raised with the write's idempotency key(s) instead of re-sending blindly.

Backoff is `min(base * 2**n, cap)` with full jitter. Clock and sleep are
injectable so tests never really wait.

A `deadline` (on the transport's clock) bounds all of it: no request starts, and no
wait or backoff runs, past it, and a request's timeouts end at it. The hub sets it
inside the lease of the postings it is sending, so a worker never sends after its
lease ran out and another worker may have taken the postings over.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from sync.intacct import constants as C
from sync.intacct import errors
from sync.intacct.ratelimit import (
    ConcurrencyLimiter,
    InMemoryMeter,
    RateLimiter,
    SemaphoreLimiter,
    TokenBucket,
    TransactionMeter,
    slot,
)
from sync.intacct.redaction import install_log_filter, redact_excerpt

log = logging.getLogger("sync.intacct.transport")

# Raised before any byte of the request reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt, redacted, for the hub's attempt log."""

    method: str
    url: str
    status: int | None
    duration: float
    request_excerpt: str
    response_excerpt: str
    error: str = ""


@functools.cache
def tls_context():
    """httpx's default TLS context (certifi's roots, verification on), built once:
    building it loads the CA bundle, about 5% of the hub's CPU in the issue 7 bench
    when every executor pass did it."""
    return httpx.create_ssl_context()


class Transport:
    """Sends requests for one Intacct connection."""

    def __init__(
        self,
        *,
        base_url: str,
        scope: str,
        http_transport: httpx.BaseTransport | None = None,
        rate_limiter: RateLimiter | None = None,
        concurrency: ConcurrencyLimiter | None = None,
        meter: TransactionMeter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        max_retries: int = C.MAX_RETRIES,
        backoff_base: float = C.BACKOFF_BASE,
        backoff_cap: float = C.BACKOFF_CAP,
        retry_after_cap: float = C.RETRY_AFTER_CAP,
        timeout: httpx.Timeout | None = None,
        secrets: Iterable[str] = (),
        on_attempt: Callable[[Attempt], None] | None = None,
        deadline: float | None = None,
    ):
        self.scope = scope
        self.deadline = deadline
        self.clock, self.sleep, self.rng = clock, sleep, rng
        self.rate_limiter = rate_limiter or TokenBucket(clock=clock)
        self.concurrency = concurrency or SemaphoreLimiter()
        self.meter = meter or InMemoryMeter()
        self.max_retries = max_retries
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.retry_after_cap = retry_after_cap
        self.secrets = [s for s in secrets if s]
        self.on_attempt = on_attempt
        self.requests_sent = 0
        install_log_filter()
        self.timeout = timeout or httpx.Timeout(
            C.READ_TIMEOUT,
            connect=C.CONNECT_TIMEOUT,
            write=C.WRITE_TIMEOUT,
            pool=C.POOL_TIMEOUT,
        )
        self.client = httpx.Client(
            base_url=base_url,
            transport=http_transport,
            verify=tls_context(),
            timeout=self.timeout,
            headers={"User-Agent": C.USER_AGENT, "Accept-Encoding": "gzip,deflate"},
        )

    def close(self) -> None:
        self.client.close()

    # -- the loop ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        protocol: str,
        write: bool,
        idempotency_keys: Iterable[str] = (),
        billed: int = 0,
        not_supported_on_404: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; return a 2xx/3xx answer or raise a typed error.

        For XML, a 4xx carrying an XML body (e.g. 401 XMLGW_JPP0002) is parsed
        into its typed error too.
        """
        keys = tuple(k for k in idempotency_keys if k)
        attempt = 0
        while True:
            response, failure = self._attempt(method, url, kwargs)
            if failure is not None:
                if isinstance(failure, _NOT_SENT):
                    reason = f"connection failed before sending: {failure!r}"
                elif write:
                    raise errors.OutcomeUnknown(
                        f"{method} {url}: sent, no answer ({type(failure).__name__})",
                        idempotency_keys=keys,
                        protocol=protocol,
                    ) from failure
                else:
                    reason = f"no answer: {failure!r}"
                delay = self._delay(attempt, None)
                if attempt >= self.max_retries or not self._fits(delay):
                    raise errors.TransportError(
                        reason,
                        protocol=protocol,
                        idempotency_key=keys[0] if keys else "",
                    ) from failure
                self._pause(attempt, delay)
                attempt += 1
                continue

            assert response is not None
            status = response.status_code
            if status < 400:
                self.meter.add(self.scope, billed)
                return response
            retry_after = self._retry_after(response)
            safe = status in (429, 503) or (status >= 500 and not write)
            if status >= 500 and status != 503 and write:
                raise errors.OutcomeUnknown(
                    f"{method} {url}: HTTP {status} after sending a write",
                    idempotency_keys=keys,
                    protocol=protocol,
                    status_code=status,
                )
            if status == 429 and retry_after:
                self.rate_limiter.pause(
                    self.scope, min(retry_after, self.retry_after_cap)
                )
            delay = self._delay(attempt, retry_after)
            if safe and attempt < self.max_retries and self._fits(delay):
                self._pause(attempt, delay)
                attempt += 1
                continue
            raise errors.from_response(
                response,
                protocol=protocol,
                idempotency_key=keys[0] if keys else "",
                retry_after=retry_after,
                not_supported_on_404=not_supported_on_404,
            )

    def _attempt(
        self, method: str, url: str, kwargs: dict[str, Any]
    ) -> tuple[httpx.Response | None, BaseException | None]:
        if self._time_left(1.0) <= 0:  # never reserve a send slot it cannot use
            raise self._deadline_reached(method, url)
        wait = self.rate_limiter.reserve(self.scope)
        if wait > 0:
            if not self._fits(wait):
                raise self._deadline_reached(method, url)
            self.sleep(wait)
        slot_wait = self._time_left(C.CONCURRENCY_WAIT)
        if slot_wait <= 0:
            raise self._deadline_reached(method, url)
        started = self.clock()
        with slot(self.concurrency, self.scope, slot_wait):
            if self._time_left(1.0) <= 0:  # the slot took what was left
                raise self._deadline_reached(method, url)
            self.requests_sent += 1
            try:
                response = self.client.request(method, url, **self._bounded(kwargs))
                response.read()
                response.close()
                # httpx binds the stream back to its response (a reference cycle),
                # so each page would linger until the cyclic GC runs: paging memory
                # would then grow with the number of pages. Break the cycle.
                response.stream = httpx.ByteStream(b"")
            except (httpx.TransportError, OSError) as exc:
                self._record(method, url, None, started, kwargs, b"", repr(exc))
                log.info("%s %s failed: %s", method, url, type(exc).__name__)
                return None, exc
        self._record(
            method, url, response.status_code, started, kwargs, response.content
        )
        log.debug("%s %s -> %s", method, url, response.status_code)
        return response, None

    def _record(
        self,
        method: str,
        url: str,
        status: int | None,
        started: float,
        kwargs: dict[str, Any],
        body: bytes,
        error: str = "",
    ) -> None:
        if self.on_attempt is None:
            return
        sent = _body_text(kwargs)
        self.on_attempt(
            Attempt(
                method=method,
                url=url,
                status=status,
                duration=self.clock() - started,
                request_excerpt=redact_excerpt(str(sent), self.secrets),
                response_excerpt=redact_excerpt(body, self.secrets),
                error=redact_excerpt(error, self.secrets),
            )
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return self.rng() * min(self.backoff_base * 2**attempt, self.backoff_cap)

    def _pause(self, attempt: int, delay: float) -> None:
        log.debug("retry %d in %.2f s", attempt + 1, delay)
        if delay > 0:
            self.sleep(delay)

    # -- the deadline -------------------------------------------------------------

    def _time_left(self, at_most: float) -> float:
        """Seconds until the deadline, capped at ``at_most``."""
        if self.deadline is None:
            return at_most
        return min(at_most, self.deadline - self.clock())

    def _fits(self, delay: float) -> bool:
        """Whether waiting ``delay`` still leaves time to send before the deadline."""
        return self.deadline is None or self.clock() + delay < self.deadline

    def _deadline_reached(self, method: str, url: str) -> errors.DeadlineReached:
        return errors.DeadlineReached(
            f"{method} {url}: not sent, the deadline of this pass came first"
        )

    def _bounded(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The request's timeouts, ending at the deadline at the latest."""
        if self.deadline is None:
            return kwargs
        left = max(self._time_left(float("inf")), 0.001)
        t = self.timeout
        return {
            **kwargs,
            "timeout": httpx.Timeout(
                connect=min(t.connect or left, left),
                read=min(t.read or left, left),
                write=min(t.write or left, left),
                pool=min(t.pool or left, left),
            ),
        }

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds from Retry-After or any X-IA-*-Retry-After header, if present."""
        best: float | None = None
        for name in C.RETRY_AFTER_HEADERS:
            raw = response.headers.get(name)
            if not raw:
                continue
            seconds = _seconds(raw)
            if seconds is not None and (best is None or seconds > best):
                best = seconds
        return best


def _body_text(kwargs: dict[str, Any]) -> str:
    """The request body as it went on the wire (JSON, form or XML), for excerpts."""
    if kwargs.get("content") is not None:
        content = kwargs["content"]
        return (
            content.decode("utf-8", "replace")
            if isinstance(content, bytes)
            else content
        )
    if kwargs.get("json") is not None:
        return json.dumps(kwargs["json"])
    if kwargs.get("data"):
        return urlencode(kwargs["data"])
    return ""


def _seconds(raw: str) -> float | None:
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
