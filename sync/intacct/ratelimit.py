"""Per-company rate limiting, concurrency caps and the API transaction meter.

Each is a small protocol with an in-memory default. The sync engine can plug in
implementations backed by the database so several worker processes share one
budget per Intacct company.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from sync.intacct.constants import (
    CONCURRENCY_CAP,
    CONCURRENCY_WAIT,
    RATE_LIMIT_BURST,
    RATE_LIMIT_PER_SECOND,
)


class RateLimiter(Protocol):
    """Decides when the next request for a company may go out."""

    def reserve(self, scope: str) -> float:
        """Take one request slot; return how many seconds to wait before sending."""
        ...

    def pause(self, scope: str, seconds: float) -> None:
        """Intacct said "come back later": hold every request for `scope`."""
        ...


class ConcurrencyLimiter(Protocol):
    """Caps requests in flight per company."""

    def acquire(self, scope: str, timeout: float) -> bool: ...

    def release(self, scope: str) -> None: ...


class TransactionMeter(Protocol):
    """Counts billed Intacct API transactions per company."""

    def add(self, scope: str, count: int) -> None: ...

    def total(self, scope: str) -> int: ...


class TokenBucket:
    """In-memory token bucket per scope (rate per second, burst)."""

    def __init__(
        self,
        rate: float = RATE_LIMIT_PER_SECOND,
        burst: int = RATE_LIMIT_BURST,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._state: dict[str, tuple[float, float]] = {}
        self._paused_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, scope: str) -> float:
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens, stamp = self._state.get(scope, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
            tokens -= 1.0  # may go negative: later callers queue behind
            self._state[scope] = (tokens, now)
            wait = 0.0 if tokens >= 0 else -tokens / self.rate
            return max(wait, self._paused_until.get(scope, 0.0) - now)

    def pause(self, scope: str, seconds: float) -> None:
        with self._lock:
            until = self.clock() + seconds
            if until > self._paused_until.get(scope, 0.0):
                self._paused_until[scope] = until


class SemaphoreLimiter:
    """In-memory concurrency cap per scope."""

    def __init__(self, cap: int = CONCURRENCY_CAP):
        self.cap = cap
        self._sems: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self.in_flight: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)

    def _sem(self, scope: str) -> threading.BoundedSemaphore:
        with self._lock:
            if scope not in self._sems:
                self._sems[scope] = threading.BoundedSemaphore(self.cap)
            return self._sems[scope]

    def acquire(self, scope: str, timeout: float) -> bool:
        if not self._sem(scope).acquire(timeout=timeout):
            return False
        with self._lock:
            self.in_flight[scope] += 1
            self.peak[scope] = max(self.peak[scope], self.in_flight[scope])
        return True

    def release(self, scope: str) -> None:
        with self._lock:
            self.in_flight[scope] -= 1
        self._sem(scope).release()


class InMemoryMeter:
    """Billed transactions per scope, kept in this process."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def add(self, scope: str, count: int) -> None:
        if count:
            with self._lock:
                self._counts[scope] += count

    def total(self, scope: str) -> int:
        with self._lock:
            return self._counts[scope]


@contextmanager
def slot(
    limiter: ConcurrencyLimiter, scope: str, timeout: float = CONCURRENCY_WAIT
) -> Iterator[None]:
    """Hold one concurrency slot for `scope` for the duration of the block."""
    if not limiter.acquire(scope, timeout):
        from sync.intacct.errors import RateLimited

        raise RateLimited(f"no free request slot for {scope} within {timeout:.0f} s")
    try:
        yield
    finally:
        limiter.release(scope)
