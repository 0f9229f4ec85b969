"""The `Sandbox` object: store + configuration + the Python control API.

Tests and the hub drive the sandbox through these methods (the HTTP controls
under `/_sandbox/` call the same ones): seed/reset companies, latency, fault
injection, session expiry, permissions, closed periods, limits and counters.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from sandbox import company as companies
from sandbox import rules
from sandbox.limits import Limiter
from sandbox.store import Clock, Store

# [I] No source shows the errorno Intacct returns for a repeated function
# controlid with uniqueid=true; this is our choice (configurable, see README).
DUPLICATE_CONTROLID_ERRORNO = "XL03000100"


@dataclass
class Config:
    """Tunables; every one can be changed on a live sandbox."""

    duplicate_controlid_errorno: str = DUPLICATE_CONTROLID_ERRORNO
    max_body_bytes: int = 5 * 1024 * 1024  # larger XML bodies are refused
    readmore_ttl: float = 30 * 60.0  # readByQuery resultId lifetime
    rest_access_ttl: float = 12 * 3600.0  # for sandbox.rest
    rest_refresh_ttl: float = 30 * 24 * 3600.0
    idempotency_ttl: float = 48 * 3600.0  # REST Idempotency-Key memory
    latency: tuple[float, float] = (0.0, 0.0)  # seconds, fixed when min == max


@dataclass
class Fault:
    """One armed fault: answer `status` (or drop) for `remaining` requests."""

    status: int | None  # 500, 503, 524; None = drop the connection
    remaining: int
    api: str | None = None  # "xml", "rest" or None for both
    execute: bool = False  # run the request first (524 and drop do: the write commits)


@dataclass
class RequestRecord:
    """One line of the request log."""

    at: float
    api: str
    company: str | None
    functions: list[str] = field(default_factory=list)
    status: int = 200
    outcome: str = ""


class Sandbox:
    """One running Intacct stand-in: store, companies, config and controls."""

    def __init__(
        self,
        path: str = ":memory:",
        *,
        seed_demo: bool = True,
        config: Config | None = None,
    ):
        self.clock = Clock()
        self.store = Store(path, clock=self.clock)
        self.config = config or Config()
        self.limiter = Limiter(self.clock)
        self.request_log: deque[RequestRecord] = deque(maxlen=10_000)
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        if seed_demo and companies.load(self.store, companies.DEMO_COMPANY) is None:
            self.seed_company()

    # --- companies ---------------------------------------------------------------

    def seed_company(
        self, company: companies.Company | None = None, data=None
    ) -> companies.Company:
        """(Re)create a company with seed data; default: the DEMO company."""
        company = company or companies.demo_company()
        companies.seed(self.store, company, data)
        return company

    def reset(self) -> None:
        """Back to a fresh DEMO-only sandbox: data, sessions, faults, counters."""
        for company_id in self.store.company_ids():
            self.store.company_drop(company_id)
        self.store.expire_tokens()
        self.store.reset_counters()
        self.limiter.reset()
        self.request_log.clear()
        with self._lock:
            self._faults.clear()
        self.config.latency = (0.0, 0.0)
        self.seed_company()

    def company(self, company_id: str = companies.DEMO_COMPANY) -> companies.Company:
        """A company's configuration (KeyError if unknown)."""
        found = companies.load(self.store, company_id)
        if found is None:
            raise KeyError(company_id)
        return found

    def update_company(
        self, company_id: str = companies.DEMO_COMPANY, **changes
    ) -> companies.Company:
        """Change company settings (closed_through, session_ttl, …)."""
        found = self.company(company_id)
        for name, value in changes.items():
            if not hasattr(found, name):
                raise AttributeError(name)
            setattr(found, name, value)
        companies.save(self.store, found)
        return found

    def set_closed_through(
        self, when: str | None, company_id: str = companies.DEMO_COMPANY
    ) -> None:
        """Books closed through this ISO date (None reopens everything)."""
        self.update_company(company_id, closed_through=when)

    def revoke_permission(
        self,
        user_id: str,
        obj: str,
        operation: str | None = None,
        company_id: str = companies.DEMO_COMPANY,
    ) -> None:
        """Deny a user one operation (read/create/update/delete), or all of them."""
        found = self.company(company_id)
        entry = (
            obj.upper() if operation is None else f"{obj.upper()}:{operation.lower()}"
        )
        user = found.users[user_id]
        if entry not in user.denied:
            user.denied.append(entry)
        companies.save(self.store, found)

    def grant_permission(
        self,
        user_id: str,
        obj: str,
        operation: str | None = None,
        company_id: str = companies.DEMO_COMPANY,
    ) -> None:
        """Undo revoke_permission (operation None lifts every denial on the object)."""
        found = self.company(company_id)
        user = found.users[user_id]
        obj = obj.upper()
        user.denied = [
            d
            for d in user.denied
            if not (
                d == obj
                or (d.startswith(obj + ":") and operation in (None, d.split(":")[1]))
            )
        ]
        companies.save(self.store, found)

    def context(
        self,
        company_id: str = companies.DEMO_COMPANY,
        user_id: str | None = None,
        entity: str | None = None,
        api: str = "system",
    ) -> rules.Context:
        """A rules.Context, e.g. to seed rows: rules.create(sb.context(), ...)."""
        found = self.company(company_id)
        user = found.user(user_id) if user_id else None
        return rules.Context(self.store, found, user, entity, api)

    # --- sessions -------------------------------------------------------------------

    def expire_sessions(self, company_id: str | None = None) -> int:
        """Expire every XML session and REST token (of one company, or all)."""
        return self.store.expire_tokens(company_id=company_id)

    # --- clock ------------------------------------------------------------------------

    def set_clock_offset(self, seconds: float) -> float:
        """Run this sandbox's clock `seconds` ahead of the wall clock (negative:
        behind), as an Intacct whose clock disagrees with the hub's. Timestamps,
        session and token expiry all follow it. Returns the sandbox's now."""
        self.clock.offset = float(seconds)
        return self.clock.now()

    # --- latency, faults, limits ------------------------------------------------------

    def set_latency(
        self,
        ms: float | None = None,
        *,
        min_ms: float | None = None,
        max_ms: float | None = None,
    ) -> None:
        """Fixed latency (`ms`) or a uniform random range; 0/None turns it off."""
        if min_ms is not None or max_ms is not None:
            low = (min_ms or 0) / 1000
            self.config.latency = (low, max((max_ms or 0) / 1000, low))
        else:
            self.config.latency = ((ms or 0) / 1000, (ms or 0) / 1000)

    def sleep_latency(self) -> None:
        """Sleep for the configured latency (called inside the concurrency slot)."""
        low, high = self.config.latency
        delay = low if low == high else random.uniform(low, high)
        if delay > 0:
            time.sleep(delay)

    def inject_fault(
        self,
        status: int,
        count: int = 1,
        *,
        api: str | None = None,
        execute: bool | None = None,
    ) -> None:
        """Answer the next `count` API requests with HTTP `status` (500, 503, 524…).

        By default 524 executes the request first (Cloudflare cut the connection
        but Intacct kept processing); other statuses do not execute it.
        """
        run = (status == 524) if execute is None else execute
        with self._lock:
            self._faults.append(Fault(status, count, api, run))

    def drop_after_commit(self, count: int = 1, *, api: str | None = None) -> None:
        """Next `count` requests: execute and commit, then drop the connection."""
        with self._lock:
            self._faults.append(Fault(None, count, api, True))

    def clear_faults(self) -> None:
        """Disarm every pending fault."""
        with self._lock:
            self._faults.clear()

    def take_fault(self, api: str) -> Fault | None:
        """The next armed fault for this API (consumes one use), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.api in (None, api) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def set_rate_limit(
        self, *, per_minute=..., concurrency=..., tier: int | None = None
    ) -> None:
        """Per-company limits: requests per minute, concurrency, or a tier preset."""
        self.limiter.configure(
            per_minute=per_minute, concurrency=concurrency, tier=tier
        )

    # --- counters ---------------------------------------------------------------------

    def counts(self) -> dict:
        """Rows per company and object, plus request, billing and duplicate counters."""
        result: dict = self.store.counts()
        counters = self.store.counters()
        result["_requests"] = counters.get("requests", {})
        result["_billed"] = {
            c: v.get("billed_transactions", 0)
            for c, v in counters.items()
            if c != "requests"
        }
        result["_rejected_duplicates"] = {
            c: v.get("rejected_duplicates", 0)
            for c, v in counters.items()
            if c != "requests"
        }
        result["_peak_concurrency"] = dict(self.limiter.peak)
        return result

    def log_request(self, record: RequestRecord) -> None:
        """Append to the bounded request log and bump the per-API request counter."""
        self.request_log.append(record)
        self.store.incr("requests", record.api)

    def close(self) -> None:
        """Release the store."""
        self.store.close()
