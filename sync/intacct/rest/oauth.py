"""OAuth2 tokens: client credentials, or authorization code + refresh."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sync.intacct import errors
from sync.intacct.constants import (
    REST_PATH,
    TOKEN_DEFAULT_LIFETIME,
    TOKEN_REFRESH_MARGIN,
)
from sync.intacct.credentials import Credentials
from sync.intacct.redaction import REGISTRY
from sync.intacct.transport import Transport

log = logging.getLogger("sync.intacct.rest")


@dataclass
class Token:
    access_token: str = field(repr=False)
    expires_at: float
    refresh_token: str = field(default="", repr=False)


class TokenProvider:
    """Keeps one access token per connection fresh.

    Client credentials when the connection has a user; otherwise the refresh
    token (or a one-time authorization code) of the authorization code grant.
    Refresh tokens may rotate: the newest one is kept, and offered to the hub
    through `on_refresh_token` so it can store it encrypted.
    """

    def __init__(
        self, credentials: Credentials, transport: Transport, on_refresh_token=None
    ):
        self.credentials = credentials
        self.transport = transport
        self.on_refresh_token = on_refresh_token
        self._token: Token | None = None
        self._refresh_token = credentials.refresh_token
        self._code = credentials.authorization_code
        self._lock = threading.Lock()
        self.tokens_issued = 0

    def access_token(self, *, force: bool = False) -> str:
        now = self.transport.clock()
        token = self._token
        if token and not force and now < token.expires_at:
            return token.access_token
        with self._lock:
            token = self._token
            if token and not force and self.transport.clock() < token.expires_at:
                return token.access_token
            self._token = self._fetch()
            return self._token.access_token

    def invalidate(self, access_token: str) -> None:
        with self._lock:
            if self._token and self._token.access_token == access_token:
                self._token = None

    def _fetch(self) -> Token:
        try:
            return self._grant()
        except errors.AuthError:
            # A refresh token can be revoked or expire; a connection that also has
            # a user signs in afresh with the client credentials grant.
            if not (self._refresh_token and self.credentials.user_id):
                raise
            log.info(
                "refresh token refused for %s; signing in again", self.credentials.scope
            )
            self._refresh_token = ""
            return self._grant()

    def _grant(self) -> Token:
        c = self.credentials
        form = {"client_id": c.client_id, "client_secret": c.client_secret}
        if self._refresh_token:
            form.update(grant_type="refresh_token", refresh_token=self._refresh_token)
        elif self._code:
            form.update(
                grant_type="authorization_code",
                code=self._code,
                redirect_uri=c.redirect_uri,
            )
        else:
            username = f"{c.user_id}@{c.company_id}"
            if c.entity_id:
                username += f"|{c.entity_id}"
            form.update(grant_type="client_credentials", username=username)
        response = self.transport.request(
            "POST", f"{REST_PATH}/oauth2/token", protocol="rest", write=False, data=form
        )
        body = response.json()
        access = body.get("access_token")
        if not access:
            raise errors.AuthError(
                "token endpoint returned no access_token", protocol="rest"
            )
        REGISTRY.add(access)
        refresh = body.get("refresh_token") or ""
        if refresh:
            REGISTRY.add(refresh)
            if refresh != self._refresh_token:
                self._refresh_token = refresh
                if self.on_refresh_token:
                    self.on_refresh_token(refresh)
        self._code = ""  # an authorization code is good for one exchange only
        lifetime = float(body.get("expires_in") or TOKEN_DEFAULT_LIFETIME)
        margin = min(TOKEN_REFRESH_MARGIN, lifetime / 4)
        self.tokens_issued += 1
        log.debug("new access token for %s (%.0f s)", c.scope, lifetime)
        return Token(access, self.transport.clock() + lifetime - margin, refresh)
