"""``Idempotency-Key`` on POST/PATCH (WIRE.md B.1).

A replay of a key returns the stored response, with the key echoed and an
``x-ia-idempotency-cached-date`` header; the same key with a different request
is a 409. Keys live 48 hours and are scoped to the company and user that sent
them. Only successful answers are remembered, so a client that fixes a missing
reference and retries with the same key is not stuck with the old 422.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from sandbox.rest import errors
from sandbox.rest.http import Request, Response

MAX_KEY_LENGTH = 256
TTL_SECONDS = 48 * 3600


@dataclass
class Stored:
    """One remembered answer."""

    fingerprint: str
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    cached_at: float


class IdempotencyCache:
    """Remembers responses by (scope, key); one lock per key serialises retries."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._items: dict[tuple[str, str], Stored] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def run(
        self, request: Request, scope: str, handler: Callable[[], Response]
    ) -> Response:
        """Answer ``request`` through ``handler`` unless its key was seen before."""
        key = request.header("idempotency-key")
        if not key or request.method not in ("POST", "PATCH"):
            return handler()
        if len(key) > MAX_KEY_LENGTH:
            raise errors.invalid_request(
                f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters"
            )
        slot = (scope, key)
        with self._lock_for(slot):
            return self._run_locked(request, slot, handler)

    def _run_locked(
        self, request: Request, slot: tuple[str, str], handler: Callable[[], Response]
    ) -> Response:
        fingerprint = _fingerprint(request)
        stored = self._items.get(slot)
        if stored and self._clock() - stored.cached_at > TTL_SECONDS:
            stored = None
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise _conflict(slot[1])
            return Response(
                stored.status,
                stored.body,
                [
                    *stored.headers,
                    (
                        "x-ia-idempotency-cached-date",
                        formatdate(stored.cached_at, usegmt=True),
                    ),
                ],
            )
        response = handler()
        response.headers.append(("Idempotency-Key", slot[1]))
        if 200 <= response.status < 300:
            self._items[slot] = Stored(
                fingerprint,
                response.status,
                response.body,
                list(response.headers),
                self._clock(),
            )
        return response

    def _lock_for(self, slot: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(slot, threading.Lock())

    def clear(self) -> None:
        """Forget everything (sandbox reset)."""
        with self._guard:
            self._items.clear()
            self._locks.clear()


def _fingerprint(request: Request) -> str:
    """Same method, path, entity and body bytes make the same request."""
    digest = hashlib.sha256()
    for part in (
        request.method,
        request.path,
        request.header("x-ia-api-param-entity"),
    ):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _conflict(key: str) -> errors.RestError:
    return errors.RestError(
        409,
        "conflict",
        f"Idempotency-Key {key} was already used with a different request",
        error_id="REST-1065",
        message_id="IA.IDEMPOTENCY_KEY_REUSED",
        placeholders={"KEY": key},
    )


def describe(cache: IdempotencyCache) -> dict[str, Any]:
    """Counts for the sandbox's control page."""
    return {"keys": len(cache._items)}
