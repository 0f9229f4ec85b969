"""Per-company rate and concurrency limits, shared by the XML and REST APIs.

Defaults follow Intacct's performance tiers (WIRE.md A.9): Tier 1 allows 8
concurrent API requests per company (6 per application). Intacct documents no
per-minute request cap, so the rate limit is off unless configured.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from sandbox.store import Clock

# tier -> (per application, per company) concurrent requests. [S: WIRE.md A.9]
TIERS = {1: (6, 8), 2: (8, 10), 3: (12, 15), 4: (15, 20)}


@dataclass(frozen=True)
class Decision:
    """Outcome of `Limiter.acquire`: allowed, or refused with a retry hint."""

    allowed: bool
    limit: int = 0
    remaining: int = 0
    retry_after: int = 0
    reason: str = ""


class Limiter:
    """Sliding one-minute window + concurrency counter per company."""

    def __init__(
        self,
        clock: Clock,
        concurrency: int | None = None,
        per_minute: int | None = None,
    ):
        self.clock = clock
        self.concurrency = concurrency if concurrency is not None else TIERS[1][1]
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}
        self._recent: dict[str, deque] = {}
        self.peak: dict[str, int] = {}

    def configure(
        self, *, concurrency=..., per_minute=..., tier: int | None = None
    ) -> None:
        """Change limits; None disables one; `tier` sets its company concurrency."""
        with self._lock:
            if tier is not None:
                self.concurrency = TIERS[tier][1]
            if concurrency is not ...:
                self.concurrency = concurrency
            if per_minute is not ...:
                self.per_minute = per_minute

    def acquire(self, company: str) -> Decision:
        """Take a slot for `company` or say why not; pair with release() if allowed."""
        with self._lock:
            now = self.clock.now()
            recent = self._recent.setdefault(company, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if self.per_minute is not None and len(recent) >= self.per_minute:
                oldest = recent[0] if recent else now  # a limit of 0 refuses all
                wait = max(1, int(oldest + 60 - now + 0.999))
                return Decision(False, self.per_minute, 0, wait, "rate")
            active = self._active.get(company, 0)
            if self.concurrency is not None and active >= self.concurrency:
                return Decision(False, self.concurrency, 0, 1, "concurrency")
            recent.append(now)
            self._active[company] = active + 1
            self.peak[company] = max(self.peak.get(company, 0), active + 1)
            limit = self.per_minute or self.concurrency or 0
            used = len(recent) if self.per_minute else active + 1
            return Decision(True, limit, max(0, limit - used))

    def release(self, company: str) -> None:
        """Give back the concurrency slot taken by an allowed acquire()."""
        with self._lock:
            self._active[company] = max(0, self._active.get(company, 0) - 1)

    def reset(self) -> None:
        """Forget all windows and peaks."""
        with self._lock:
            self._active.clear()
            self._recent.clear()
            self.peak.clear()
