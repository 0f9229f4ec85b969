"""OAuth2 tokens: JWT access tokens, opaque refresh tokens and codes.

Access tokens are HS256 JWTs carrying Intacct's claims (``cnyId``, ``userId``,
``entityId``, ``sessionId``, ``clientId``; WIRE.md B.1), but a token is only
valid while its record exists in the shared store: that is what lets revoke,
refresh rotation and the sandbox's "expire every token" control take effect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

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


@dataclass
class TokenRecord:
    """One stored token (access, refresh or authorization code)."""

    token_id: str  # jti for access tokens, the token itself otherwise
    kind: str  # "access" | "refresh" | "code"
    expires_at: float
    grant: Grant
    extra: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "grant": asdict(self.grant)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenRecord:
        return cls(
            token_id=data["token_id"],
            kind=data["kind"],
            expires_at=float(data["expires_at"]),
            grant=Grant(**data["grant"]),
            extra=dict(data.get("extra") or {}),
        )


class TokenStorage(Protocol):
    """Where token records live (the shared store, via the backend adapter)."""

    def put_token(self, record: TokenRecord) -> None: ...
    def get_token(self, token_id: str) -> TokenRecord | None: ...
    def delete_token(self, token_id: str) -> None: ...
    def delete_grant(self, grant_id: str) -> None: ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenService:
    """Issues and checks tokens; all state goes through ``storage``."""

    def __init__(
        self,
        storage: TokenStorage,
        secret: bytes,
        *,
        access_ttl: int = ACCESS_TTL,
        refresh_ttl: int = REFRESH_TTL,
        rotate_refresh: bool = True,
        clock: Callable[[], float] = time.time,
    ):
        self.storage, self.secret, self.clock = storage, secret, clock
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl
        self.rotate_refresh = rotate_refresh

    # -- issuing -----------------------------------------------------------------

    def issue(self, grant: Grant, *, with_refresh: bool) -> dict[str, Any]:
        """A token response body for ``grant`` (RFC 6749 section 5.1)."""
        grant.grant_id = grant.grant_id or secrets.token_hex(8)
        now = self.clock()
        jti = secrets.token_hex(16)
        self.storage.put_token(
            TokenRecord(jti, "access", now + self.access_ttl, grant, {})
        )
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self._jwt(grant, jti, now),
            "expires_in": self.access_ttl,
        }
        if with_refresh:
            refresh = secrets.token_urlsafe(32)
            self.storage.put_token(
                TokenRecord(refresh, "refresh", now + self.refresh_ttl, grant, {})
            )
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
        extra = {"redirect_uri": redirect_uri, **challenge}
        self.storage.put_token(
            TokenRecord(code, "code", self.clock() + CODE_TTL, grant, extra)
        )
        return code

    def _jwt(self, grant: Grant, jti: str, now: float) -> str:
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "iss": ISSUER,
            "iat": int(now),
            "exp": int(now + self.access_ttl),
            "jti": jti,
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
        signature = hmac.new(
            self.secret, signing_input.encode(), hashlib.sha256
        ).digest()
        return f"{signing_input}.{_b64(signature)}"

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

    def live(self, token_id: str, kind: str) -> TokenRecord | None:
        """The stored record if it exists, has this kind and has not expired."""
        record = self.storage.get_token(token_id)
        if record is None or record.kind != kind:
            return None
        if record.expires_at <= self.clock():
            self.storage.delete_token(token_id)
            return None
        return record

    def refresh(self, refresh_token: str, client_id: str) -> dict[str, Any] | None:
        """New tokens for a live refresh token of this client, else None."""
        record = self.live(refresh_token, "refresh")
        if record is None or record.grant.client_id != client_id:
            return None
        if not self.rotate_refresh:
            body = self.issue(record.grant, with_refresh=False)
            body["refresh_token"] = refresh_token
            return body
        self.storage.delete_token(refresh_token)
        return self.issue(record.grant, with_refresh=True)

    def revoke(self, token: str) -> None:
        """Forget a token; revoking a refresh token ends its whole grant."""
        claims = self.decode(token)
        token_id = claims["jti"] if claims else token
        record = self.storage.get_token(token_id)
        if record is None:
            return
        if record.kind == "refresh":
            self.storage.delete_grant(record.grant.grant_id)
        self.storage.delete_token(token_id)
