"""XML gateway sessions: one per company+entity, renewed before they lapse."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from sync.intacct.constants import SESSION_DEFAULT_LIFETIME, SESSION_RENEW_MARGIN
from sync.intacct.xmlgw.parser import Response


@dataclass
class Session:
    session_id: str
    endpoint: str  # path or URL the gateway told us to use
    expires_at: float  # on the client's monotonic clock

    def fresh(self, now: float, margin: float) -> bool:
        return now < self.expires_at - margin


class SessionCache:
    """Sessions keyed by scope (company[/entity]); shareable between clients."""

    def __init__(self) -> None:
        self._items: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.scope_locks: dict[str, threading.Lock] = {}

    def get(self, scope: str) -> Session | None:
        with self._lock:
            return self._items.get(scope)

    def put(self, scope: str, session: Session) -> None:
        with self._lock:
            self._items[scope] = session

    def drop(self, scope: str, session_id: str | None = None) -> None:
        with self._lock:
            current = self._items.get(scope)
            if current and (session_id is None or current.session_id == session_id):
                del self._items[scope]

    def lock_for(self, scope: str) -> threading.Lock:
        with self._lock:
            return self.scope_locks.setdefault(scope, threading.Lock())


def lifetime(response: Response) -> float:
    """Seconds the session stays valid after this response (sliding timeout)."""
    if response.session_timeout and response.session_timestamp:
        return (response.session_timeout - response.session_timestamp).total_seconds()
    return SESSION_DEFAULT_LIFETIME


def choose_endpoint(base_url: str, returned: str, default_path: str) -> str:
    """Follow the endpoint getAPISession names, but only to an Intacct host.

    A sandbox or proxy base URL keeps its own host: a returned public endpoint
    must never send a test's traffic (and session id) to the internet.
    """
    if not returned:
        return default_path
    base_host = urlsplit(base_url).hostname or ""
    host = urlsplit(returned).hostname or ""
    if host.endswith(".intacct.com") and base_host.endswith(".intacct.com"):
        return returned
    if host == base_host:
        # The whole URL: a sandbox mounted under a prefix (/sandbox) names it in the
        # path, and a path alone would be joined onto the base URL's prefix again.
        return returned
    return default_path


def renew_margin(expires_in: float) -> float:
    """Renew a little early, but never so early a short session is always stale."""
    return min(SESSION_RENEW_MARGIN, expires_in / 4)
