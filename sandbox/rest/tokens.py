"""OAuth2 tokens: JWT access tokens, opaque refresh tokens and codes.

Access tokens are HS256 JWTs carrying Intacct's claims (``cnyId``, ``userId``,
``entityId``, ``sessionId``, ``clientId``; WIRE.md B.1), but a token is only
valid while it exists in the shared store (``store.issue_token``, keyed by the
whole bearer string so the sandbox router can rate-limit per company): that is
what lets revoke, refresh rotation and the "expire every session and token"
control take effect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

ISSUER = "https://api.intacct.com"
ACCESS_TTL = 3600  # [I] no official lifetime found; configurable per sandbox
REFRESH_TTL = 30 * 24 * 3600
CODE_TTL = 600


@dataclass
class Grant:
    """Who a token speaks for; one grant is shared by a refresh chain."""

    company_id: str
    user_id: str
    entity_id: str = ""
    client_id: str = ""
    scope: str = ""
    grant_id: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


ACCESS, REFRESH, CODE = "rest_access", "rest_refresh", "rest_code"
REVOKED = "rest_revoked_grant"  # marks a grant whose refresh token was revoked


class TokenService:
    """Issues and checks tokens; all state lives in the sandbox store."""

    def __init__(
        self,
        store,
        secret: bytes,
        *,
        config=None,
        access_ttl: float | None = None,
        refresh_ttl: float | None = None,
        rotate_refresh: bool = True,
    ):
        self.store, self.secret, self.config = store, secret, config
        self._access_ttl, self._refresh_ttl = access_ttl, refresh_ttl
        self.rotate_refresh = rotate_refresh

    # Lifetimes follow the live sandbox config unless fixed at construction.
    @property
    def access_ttl(self) -> float:
        default = getattr(self.config, "rest_access_ttl", ACCESS_TTL)
        return self._access_ttl or default

    @property
    def refresh_ttl(self) -> float:
        default = getattr(self.config, "rest_refresh_ttl", REFRESH_TTL)
        return self._refresh_ttl or default

    def _put(self, kind: str, token: str, grant: Grant, ttl: float, **extra) -> None:
        data = {
            "client_id": grant.client_id,
            "scope": grant.scope,
            "grant_id": grant.grant_id,
            **extra,
        }
        self.store.issue_token(
            kind,
            grant.company_id,
            grant.user_id,
            ttl=ttl,
            entity=grant.entity_id or None,
            data=data,
            token=token,
            sliding=False,
        )

    # -- issuing -----------------------------------------------------------------

    def issue(self, grant: Grant, *, with_refresh: bool) -> dict[str, Any]:
        """A token response body for ``grant`` (RFC 6749 section 5.1)."""
        grant.grant_id = grant.grant_id or secrets.token_hex(8)
        access = self._jwt(grant, self.store.clock.now())
        self._put(ACCESS, access, grant, self.access_ttl)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": int(self.access_ttl),
        }
        if with_refresh:
            refresh = secrets.token_urlsafe(32)
            self._put(REFRESH, refresh, grant, self.refresh_ttl)
            body["refresh_token"] = refresh
        if grant.scope:
            body["scope"] = grant.scope
        return body

    def issue_code(
        self, grant: Grant, redirect_uri: str, challenge: dict[str, str]
    ) -> str:
        """A one-time authorization code for the authorize page."""
        grant.grant_id = secrets.token_hex(8)
        code = secrets.token_urlsafe(24)
        self._put(CODE, code, grant, CODE_TTL, redirect_uri=redirect_uri, **challenge)
        return code

    def _jwt(self, grant: Grant, now: float) -> str:
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "iss": ISSUER,
            "iat": int(now),
            "exp": int(now + self.access_ttl),
            "jti": secrets.token_hex(16),
            "cnyId": grant.company_id,
            "userId": grant.user_id,
            "entityId": grant.entity_id or None,
            "sessionId": grant.grant_id,
            "clientId": grant.client_id,
        }
        signing_input = ".".join(
            _b64(json.dumps(part, separators=(",", ":")).encode())
            for part in (header, claims)
        )
        signature = hmac.new(self.secret, signing_input.encode(), hashlib.sha256)
        return f"{signing_input}.{_b64(signature.digest())}"

    # -- checking ----------------------------------------------------------------

    def decode(self, token: str) -> dict[str, Any] | None:
        """The claims of a well-formed, correctly signed JWT, else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(
            self.secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256
        ).digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeDecodeError):
            return None
        return claims if isinstance(claims, dict) and "jti" in claims else None

    def live(self, token: str, kind: str) -> tuple[Grant, dict[str, Any]] | None:
        """(grant, extra data) of a live token of this kind, else None."""
        found = self.store.lookup_token(token, kind, slide=False) if token else None
        if found is None:
            return None
        data = dict(found.data)
        grant = Grant(
            found.company_id or "",
            found.user_id or "",
            found.entity or "",
            data.pop("client_id", ""),
            data.pop("scope", ""),
            data.pop("grant_id", ""),
        )
        if self.store.lookup_token(f"revoked:{grant.grant_id}", REVOKED, slide=False):
            return None
        return grant, data

    def spend(self, token: str) -> None:
        """Forget a single-use token (authorization codes, rotated refresh tokens)."""
        self.store.revoke_token(token)

    def refresh(self, refresh_token: str, client_id: str) -> dict[str, Any] | None:
        """New tokens for a live refresh token of this client, else None."""
        found = self.live(refresh_token, REFRESH)
        if found is None or found[0].client_id != client_id:
            return None
        grant = found[0]
        if not self.rotate_refresh:
            body = self.issue(grant, with_refresh=False)
            body["refresh_token"] = refresh_token
            return body
        self.spend(refresh_token)
        return self.issue(grant, with_refresh=True)

    def revoke(self, token: str) -> None:
        """Forget a token; revoking a refresh token ends its whole grant."""
        found = self.live(token, REFRESH)
        if found is not None:
            grant = found[0]
            self._put(
                REVOKED,
                f"revoked:{grant.grant_id}",
                grant,
                max(self.access_ttl, self.refresh_ttl),
            )
        self.store.revoke_token(token)
