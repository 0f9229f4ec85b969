"""The sandbox store's tokens (XML sessions, REST access and refresh tokens, readMore
cursors) and remembered responses (REST Idempotency-Key, XML controlid): a part of
``Store``, over its SQLite tables ``tokens`` and ``idempotency``."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """A session id, OAuth token or cursor as stored."""

    token: str
    kind: str
    company_id: str | None
    user_id: str | None
    entity: str | None
    data: dict
    ttl: float
    expires_at: float


@dataclass(frozen=True)
class IdempotencyRecord:
    """A remembered response (REST Idempotency-Key, XML function controlid)."""

    body_hash: str
    response: object
    created_at: float


class TokensAndKeys:
    """Token and idempotency methods of ``Store`` (which gives ``_execute``,
    ``_lock`` and ``clock``)."""

    # --- tokens: XML sessions, REST access/refresh tokens, readMore cursors ----

    def issue_token(
        self,
        kind: str,
        company_id: str | None,
        user_id: str | None,
        *,
        ttl: float,
        entity: str | None = None,
        data: dict | None = None,
        token: str | None = None,
        suffix: str = "",
        sliding: bool = True,
    ) -> Token:
        """Create a token valid for `ttl` seconds (extended on use when sliding)."""
        token = token or secrets.token_urlsafe(24) + suffix
        expires = self.clock.now() + ttl
        self._execute(
            "INSERT OR REPLACE INTO tokens VALUES (?,?,?,?,?,?,?,?,?)",
            (
                token,
                kind,
                company_id,
                user_id,
                entity,
                json.dumps(data or {}),
                ttl,
                expires,
                int(sliding),
            ),
        )
        return Token(token, kind, company_id, user_id, entity, data or {}, ttl, expires)

    def lookup_token(
        self, token: str, kind: str | None = None, *, slide: bool = True
    ) -> Token | None:
        """The live token (of `kind`, if given), sliding its expiry; else None."""
        if not token:
            return None
        with self._lock:
            cur = self._execute("SELECT * FROM tokens WHERE token=?", (token,))
            found = cur.fetchone()
            if found is None:
                return None
            _, found_kind, company, user, entity, data, ttl, expires, sliding = found
            now = self.clock.now()
            if (kind and found_kind != kind) or expires <= now:
                return None
            if slide and sliding:
                expires = now + ttl
                self._execute(
                    "UPDATE tokens SET expires=? WHERE token=?", (expires, token)
                )
            return Token(
                token, found_kind, company, user, entity, json.loads(data), ttl, expires
            )

    def revoke_token(self, token: str) -> bool:
        """Delete one token; True if it existed."""
        return self._execute("DELETE FROM tokens WHERE token=?", (token,)).rowcount > 0

    def expire_tokens(
        self, kind: str | None = None, company_id: str | None = None
    ) -> int:
        """Expire every token (optionally of one kind / company); returns how many."""
        sql, params = "DELETE FROM tokens WHERE 1=1", []
        if kind:
            sql += " AND kind=?"
            params.append(kind)
        if company_id:
            sql += " AND company=?"
            params.append(company_id)
        return self._execute(sql, tuple(params)).rowcount

    # --- idempotency / controlid memory -----------------------------------------

    def idempotency_get(
        self, scope: str, key: str, max_age: float | None = None
    ) -> IdempotencyRecord | None:
        """The remembered response for (scope, key), unless older than `max_age`."""
        cur = self._execute(
            "SELECT body_hash, response, created FROM idempotency "
            "WHERE scope=? AND key=?",
            (scope, key),
        )
        found = cur.fetchone()
        if found is None:
            return None
        if max_age is not None and self.clock.now() - found[2] > max_age:
            return None
        return IdempotencyRecord(found[0], json.loads(found[1]), found[2])

    def idempotency_put(
        self, scope: str, key: str, *, body_hash: str = "", response=None
    ) -> None:
        """Remember a JSON-able `response`; rolled back with the transaction."""
        self._execute(
            "INSERT OR REPLACE INTO idempotency VALUES (?,?,?,?,?)",
            (scope, key, body_hash, json.dumps(response), self.clock.now()),
        )
