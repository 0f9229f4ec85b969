"""``Idempotency-Key`` on POST/PATCH (WIRE.md B.1).

A replay of a key returns the stored response, with the key echoed and an
``x-ia-idempotency-cached-date`` header; the same key with a different request
is a 409. Keys live in the shared store for ``config.idempotency_ttl`` (48 h),
scoped to the company and user that sent them. Only successful answers are
remembered, so a client that fixes a missing reference and retries with the
same key is not stuck with the old 422. The write and the remembered answer
commit in one store transaction, so a crash cannot keep one without the other.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from email.utils import formatdate

from sandbox.rest import errors
from sandbox.rest.http import Request, Response

MAX_KEY_LENGTH = 256
TTL_SECONDS = 48 * 3600


class Idempotency:
    """Replays answers by (scope, key); a lock per key serialises concurrent retries."""

    def __init__(self, store, config=None, ttl: float | None = None):
        self.store, self.config, self._ttl = store, config, ttl
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
        with self._lock_for(scope, key):
            return self._run_locked(request, scope, key, handler)

    def _run_locked(self, request, scope, key, handler) -> Response:
        fingerprint = _fingerprint(request)
        ttl = self._ttl or getattr(self.config, "idempotency_ttl", TTL_SECONDS)
        stored = self.store.idempotency_get(scope, key, max_age=ttl)
        if stored is not None:
            if stored.body_hash != fingerprint:
                raise _conflict(key)
            return _replay(stored.response, stored.created_at)
        with self.store.transaction():
            response = handler()
            response.headers.append(("Idempotency-Key", key))
            if 200 <= response.status < 300:
                self.store.idempotency_put(
                    scope, key, body_hash=fingerprint, response=_remember(response)
                )
        return response

    def _lock_for(self, scope: str, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((scope, key), threading.Lock())


def _remember(response: Response) -> dict:
    return {
        "status": response.status,
        "headers": [list(h) for h in response.headers],
        "body": base64.b64encode(response.body).decode("ascii"),
    }


def _replay(saved: dict, created_at: float) -> Response:
    headers = [(name, value) for name, value in saved["headers"]]
    headers.append(
        ("x-ia-idempotency-cached-date", formatdate(created_at, usegmt=True))
    )
    return Response(saved["status"], base64.b64decode(saved["body"]), headers)


def _fingerprint(request: Request) -> str:
    """Same method, path, entity and body bytes make the same request."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.header("x-ia-api-param-entity")):
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
