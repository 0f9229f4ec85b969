"""``/oauth2/token``, ``/oauth2/authorize`` and ``/oauth2/revoke`` (WIRE.md B.1).

Grant errors use RFC 6749's ``{"error", "error_description"}`` body, which every
OAuth library understands [I: Intacct's exact text is not documented]; malformed
token requests get the gateway's GW-0032..GW-0039 codes, which are documented.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from sandbox.rest import errors
from sandbox.rest.http import Request, Response
from sandbox.rest.tokens import CODE, Grant, TokenService

GRANTS = ("client_credentials", "authorization_code", "refresh_token")


def oauth_error(status: int, error: str, description: str) -> Response:
    """An RFC 6749 error answer."""
    return Response.json(
        status,
        {"error": error, "error_description": description},
        [("Cache-Control", "no-store")],
    )


class OAuth:
    """The three OAuth endpoints over a backend and a token service."""

    def __init__(self, backend, tokens: TokenService):
        self.backend, self.tokens = backend, tokens

    def dispatch(self, request: Request, action: str) -> Response:
        """Route ``/oauth2/<action>``."""
        if action == "token" and request.method == "POST":
            return self.token(request)
        if action == "revoke" and request.method == "POST":
            return self.revoke(request)
        if action == "authorize" and request.method in ("GET", "POST"):
            return self.authorize(request)
        if action in ("token", "revoke", "authorize"):
            raise errors.method_not_allowed(request.method, f"/oauth2/{action}")
        raise errors.gateway(404, "GW-0033", "Invalid Token Endpoint")

    # -- token ----------------------------------------------------------------------

    def token(self, request: Request) -> Response:
        """Issue tokens for one of the three grants."""
        params = _params(request)
        grant_type = _one(params, "grant_type", "GW-0032", "Invalid Token Payload")
        if grant_type not in GRANTS:
            raise errors.gateway(400, "GW-0032", "Invalid Token Payload")
        client_id = _one(
            params,
            "client_id",
            "GW-0037",
            "Missing Client ID",
            multiple=("GW-0038", "Multiple Client IDs"),
        )
        client = self.backend.oauth_client(client_id)
        if client is None:
            raise errors.gateway(400, "GW-0011", "Invalid Request")
        secret = params.get("client_secret", [""])[0]
        public_pkce = grant_type == "authorization_code" and "code_verifier" in params
        if not public_pkce and not _secret_ok(client, secret):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        if grant_type == "client_credentials":
            return self._client_credentials(params, client_id)
        if grant_type == "authorization_code":
            return self._authorization_code(params, client_id)
        return self._refresh(params, client_id)

    def _client_credentials(
        self, params: dict[str, list[str]], client_id: str
    ) -> Response:
        username = _one(
            params,
            "username",
            "GW-0036",
            "Missing User Name",
            multiple=("GW-0039", "Multiple Usernames"),
        )
        user, _, tenant = username.partition("@")
        company, _, entity = tenant.partition("|")
        if not user or not company:
            raise errors.gateway(400, "GW-0012", "Missing Tenant Data")
        grant = self._grant(client_id, company, user, entity, password=None)
        if isinstance(grant, Response):
            return grant
        return _token_response(self.tokens.issue(grant, with_refresh=True))

    def _authorization_code(
        self, params: dict[str, list[str]], client_id: str
    ) -> Response:
        code = params.get("code", [""])[0]
        found = self.tokens.live(code, CODE)
        if found is None or found[0].client_id != client_id:
            return oauth_error(400, "invalid_grant", "Authorization code is not valid")
        self.tokens.spend(code)  # single use
        grant, extra = found
        if params.get("redirect_uri", [""])[0] != extra.get("redirect_uri"):
            return oauth_error(400, "invalid_grant", "redirect_uri does not match")
        if not _pkce_ok(extra, params.get("code_verifier", [""])[0]):
            return oauth_error(400, "invalid_grant", "code_verifier does not match")
        with_refresh = "offline_access" in grant.scope.split()
        return _token_response(self.tokens.issue(grant, with_refresh=with_refresh))

    def _refresh(self, params: dict[str, list[str]], client_id: str) -> Response:
        body = self.tokens.refresh(params.get("refresh_token", [""])[0], client_id)
        if body is None:
            return oauth_error(400, "invalid_grant", "Refresh token is not valid")
        return _token_response(body)

    def _grant(self, client_id, company, user, entity, *, password, scope=""):
        """A Grant after the backend accepts the user, or an error Response."""
        if not self.backend.client_allowed(client_id, company):
            raise errors.gateway(400, "GW-0011", "Invalid Request")
        problem = self.backend.check_user(company, user, entity, password=password)
        if problem:
            return oauth_error(400, "invalid_grant", problem)
        return Grant(company, user, entity, client_id, scope)

    # -- revoke ---------------------------------------------------------------------

    def revoke(self, request: Request) -> Response:
        """Revoke a token; unknown tokens succeed too (RFC 7009 section 2.2)."""
        params = _params(request)
        client = self.backend.oauth_client(params.get("client_id", [""])[0])
        secret = params.get("client_secret", [""])[0]
        if client is None or not _secret_ok(client, secret):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        token = params.get("token", [""])[0]
        if token:
            self.tokens.revoke(token)
        return Response.json(200, {})

    # -- authorize ------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """A minimal sign-in page that sends a code back to ``redirect_uri``."""
        params = request.query if request.method == "GET" else request.form()
        get = lambda name: params.get(name, [""])[0]  # noqa: E731
        client = self.backend.oauth_client(get("client_id"))
        redirect_uri = get("redirect_uri")
        if client is None or not _redirect_allowed(client, redirect_uri):
            # Never redirect to an address the client did not register.
            return _page(400, "Unknown client_id or unregistered redirect_uri.", {})
        if get("response_type") != "code":
            return _redirect(
                redirect_uri, error="unsupported_response_type", state=get("state")
            )
        if request.method == "GET":
            return _page(200, "", {k: get(k) for k in _CARRIED})
        grant = self._grant(
            get("client_id"),
            get("company_id"),
            get("user_id"),
            get("entity_id"),
            password=get("password"),
            scope=get("scope"),
        )
        if isinstance(grant, Response):
            return _page(
                200, "Sign-in information is incorrect.", {k: get(k) for k in _CARRIED}
            )
        challenge = {
            "code_challenge": get("code_challenge"),
            "code_challenge_method": get("code_challenge_method") or "plain",
        }
        code = self.tokens.issue_code(
            grant, redirect_uri, challenge if get("code_challenge") else {}
        )
        return _redirect(redirect_uri, code=code, state=get("state"))


_CARRIED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)


def _params(request: Request) -> dict[str, list[str]]:
    """Token request parameters from a form body, a JSON body or Basic auth."""
    if not request.body.strip():
        raise errors.gateway(400, "GW-0035", "Missing Token Payload")
    media = request.header("content-type").split(";")[0].strip().lower()
    if media == "application/json":
        try:
            data = json.loads(request.body)
        except ValueError:
            raise errors.gateway(400, "GW-0032", "Invalid Token Payload") from None
        if not isinstance(data, dict):
            raise errors.gateway(400, "GW-0032", "Invalid Token Payload")
        params = {k: [str(v)] for k, v in data.items() if v is not None}
    else:
        params = request.form()
    basic = request.header("authorization")
    if basic.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return params
        params.setdefault("client_id", [user])
        params.setdefault("client_secret", [password])
    return params


def _secret_ok(client: dict[str, Any], secret: str) -> bool:
    """Does ``secret`` match one of the client's secrets (one per company)?"""
    return any(
        secrets.compare_digest(secret.encode(), str(known).encode())
        for known in client.get("secrets", ())
    )


def _one(params, name, code, message, multiple=None) -> str:
    values = params.get(name, [])
    if len(values) > 1 and multiple:
        raise errors.gateway(400, *multiple)
    if not values or not values[0].strip():
        raise errors.gateway(400, code, message)
    return values[0].strip()


def _pkce_ok(extra: dict[str, Any], verifier: str) -> bool:
    challenge = extra.get("code_challenge")
    if not challenge:
        return True
    if extra.get("code_challenge_method") == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(verifier, challenge)


def _redirect_allowed(client: dict[str, Any], uri: str) -> bool:
    if not uri or urlsplit(uri).scheme not in ("http", "https"):
        return False
    allowed = client.get("redirect_uris")
    return not allowed or uri in allowed


def _redirect(uri: str, **params: str) -> Response:
    query = urlencode({k: v for k, v in params.items() if v})
    sep = "&" if urlsplit(uri).query else "?"
    return Response(302, b"", [("Location", f"{uri}{sep}{query}")])


def _token_response(body: dict[str, Any]) -> Response:
    return Response.json(
        200, body, [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
    )


def _page(status: int, message: str, carried: dict[str, str]) -> Response:
    """The sign-in form; every value is HTML-escaped."""
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">'
        for k, v in carried.items()
    )
    error = (
        f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    )
    form = (
        '<form method="post">'
        + hidden
        + '<label>Company ID <input name="company_id" required></label>'
        '<label>User ID <input name="user_id" required></label>'
        '<label>Password <input name="password" type="password"></label>'
        '<label>Entity ID <input name="entity_id"></label>'
        '<button type="submit">Sign in</button></form>'
        if carried
        else ""
    )
    body = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Sign in - '
        "Intacct sandbox</title></head><body><h1>Sign in to the Intacct sandbox</h1>"
        f"{error}{form}</body></html>"
    )
    return Response(
        status,
        body.encode("utf-8"),
        [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
    )
