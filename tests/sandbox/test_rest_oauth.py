"""OAuth2 on the REST API: client credentials, authorization code, refresh, revoke."""

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)
from tests.sandbox.rest_support import TOKEN_PATH, customer_list, form_token

REDIRECT = "https://evil.example/steal"


def test_it_issues_a_bearer_jwt_with_intacct_claims(rest, creds):
    response = form_token(rest, creds)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["refresh_token"]
    header, claims, _ = body["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["cnyId"] == creds["company_id"]
    assert claims["userId"] == creds["user_id"]
    assert claims["clientId"] == creds["client_id"]
    assert response.headers["cache-control"] == "no-store"
    assert customer_list(rest, body["access_token"]).status_code == 200


def test_it_accepts_basic_auth_and_json_bodies(rest, creds):
    basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
    by_basic = rest.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials", "username": creds["username"]},
        headers={"Authorization": f"Basic {basic.decode()}"},
    )
    assert by_basic.status_code == 200
    by_json = rest.post(
        TOKEN_PATH,
        json={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "username": creds["username"],
        },
    )
    assert by_json.status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "no-such-client"}, 400, "GW-0011"),
        ({"client_id": ""}, 400, "GW-0037"),
        ({"username": ""}, 400, "GW-0036"),
        ({"username": "just-a-user"}, 400, "GW-0012"),
        ({"grant_type": "password"}, 400, "GW-0032"),
        ({"username": "nobody@{company}"}, 400, "invalid_grant"),
        ({"username": "{user}@NO-SUCH-COMPANY"}, 400, "GW-0011"),
    ],
)
def test_it_refuses_bad_token_requests(rest, creds, change, status, code):
    change = {
        k: v.format(company=creds["company_id"], user=creds["user_id"])
        for k, v in change.items()
    }
    response = form_token(rest, creds, **change)
    assert response.status_code == status
    body = response.json()
    assert (body.get("error") or body["ia::error"]["code"]) == code


def test_it_refuses_an_empty_token_request_and_unknown_oauth_paths(rest):
    assert rest.post(TOKEN_PATH, content=b"").json()["ia::error"]["code"] == "GW-0035"
    response = rest.post("oauth2/nonsense", data={"a": "b"})
    assert response.json()["ia::error"]["code"] == "GW-0033"


def test_an_expired_token_is_refused_then_refresh_works(rest, creds, clock):
    issued = form_token(rest, creds).json()
    clock.advance(issued["expires_in"] + 1)
    refused = customer_list(rest, issued["access_token"])
    assert refused.status_code == 401
    error = refused.json()["ia::result"]["ia::error"]
    assert (error["code"], error["errorId"]) == ("tokenInvalid", "REST-2102")

    refreshed = rest.post(
        TOKEN_PATH,
        data={
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    )
    assert refreshed.status_code == 200
    fresh = refreshed.json()
    assert customer_list(rest, fresh["access_token"]).status_code == 200
    # Refresh tokens rotate: the old one is spent.
    again = rest.post(
        TOKEN_PATH,
        data={
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_revoke_ends_the_token_and_its_refresh_chain(rest, creds):
    issued = form_token(rest, creds).json()
    revoke = {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
    assert (
        rest.post(
            "oauth2/revoke", data={**revoke, "token": issued["access_token"]}
        ).status_code
        == 200
    )
    assert customer_list(rest, issued["access_token"]).status_code == 401

    second = form_token(rest, creds).json()
    rest.post("oauth2/revoke", data={**revoke, "token": second["refresh_token"]})
    assert customer_list(rest, second["access_token"]).status_code == 401
    assert (
        rest.post("oauth2/revoke", data={**revoke, "token": "unknown"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("header", "code"),
    [(None, "GW-0034"), ("Token abc", "GW-0034"), ("Bearer not-a-jwt", "GW-0031")],
)
def test_it_refuses_calls_without_a_valid_bearer_header(rest, header, code):
    headers = {"Authorization": header} if header else {}
    response = rest.get("objects/accounts-receivable/customer", headers=headers)
    assert response.status_code == 401
    assert response.json()["ia::error"]["code"] == code


def test_a_forged_jwt_is_refused(rest, creds):
    token = form_token(rest, creds).json()["access_token"]
    head, claims, sig = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    forged["userId"] = "someone-else"
    forged_part = (
        base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    )
    response = customer_list(rest, f"{head}.{forged_part}.{sig}")
    assert response.status_code == 401


def _authorize(rest, creds, **extra):
    params = {
        "response_type": "code",
        "client_id": creds["client_id"],
        "redirect_uri": creds["redirect_uri"],
        "state": "xyz <&>",
        "scope": "offline_access",
        **extra,
    }
    page = rest.get("oauth2/authorize", params=params)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "xyz &lt;&amp;&gt;" in page.text  # carried state is escaped
    return params


def test_authorization_code_flow_gives_tokens_once(rest, creds):
    params = _authorize(rest, creds)
    login = {
        **params,
        "company_id": creds["company_id"],
        "user_id": creds["user_id"],
        "password": creds["user_password"],
    }
    redirect = rest.post("oauth2/authorize", data=login)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["location"])
    assert (
        f"{location.scheme}://{location.netloc}{location.path}" == creds["redirect_uri"]
    )
    query = parse_qs(location.query)
    assert query["state"] == ["xyz <&>"]
    exchange = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": creds["redirect_uri"],
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    tokens = rest.post(TOKEN_PATH, data=exchange)
    assert tokens.status_code == 200
    assert tokens.json()["refresh_token"]  # offline_access was asked for
    assert customer_list(rest, tokens.json()["access_token"]).status_code == 200
    reused = rest.post(TOKEN_PATH, data=exchange)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_authorization_code_with_pkce_and_wrong_password(rest, creds):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = _authorize(
        rest,
        creds,
        code_challenge=challenge.rstrip(b"=").decode(),
        code_challenge_method="S256",
        scope="",
    )
    wrong = rest.post(
        "oauth2/authorize",
        data={
            **params,
            "company_id": creds["company_id"],
            "user_id": creds["user_id"],
            "password": "wrong-password",
        },
    )
    assert wrong.status_code == 200
    assert "incorrect" in wrong.text
    redirect = rest.post(
        "oauth2/authorize",
        data={
            **params,
            "company_id": creds["company_id"],
            "user_id": creds["user_id"],
            "password": creds["user_password"],
        },
    )
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": creds["redirect_uri"],
        "client_id": creds["client_id"],
    }
    assert (
        rest.post(TOKEN_PATH, data={**exchange, "code_verifier": "x" * 50}).status_code
        == 400
    )
    redirect = rest.post(
        "oauth2/authorize",
        data={
            **params,
            "company_id": creds["company_id"],
            "user_id": creds["user_id"],
            "password": creds["user_password"],
        },
    )
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    tokens = rest.post(
        TOKEN_PATH, data={**exchange, "code": code, "code_verifier": verifier}
    )
    assert tokens.status_code == 200
    assert "refresh_token" not in tokens.json()  # no offline_access scope


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        ("no-such-client", REDIRECT),
        ("{client}", "javascript:alert(1)"),
        ("{client}", ""),
    ],
)
def test_authorize_never_redirects_for_an_unknown_client_or_odd_uri(
    rest, creds, client_id, redirect_uri
):
    response = rest.get(
        "oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": client_id.format(client=creds["client_id"]),
            "redirect_uri": redirect_uri,
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers


def test_the_expire_sessions_control_reaches_rest_tokens(rest, creds, sb):
    issued = form_token(rest, creds).json()
    sb.expire_sessions()
    response = customer_list(rest, issued["access_token"])
    assert response.status_code == 401
    assert response.json()["ia::result"]["ia::error"]["code"] == "tokenInvalid"


def test_token_lifetime_follows_the_sandbox_config(rest, creds, sb, clock):
    sb.config.rest_access_ttl = 90
    issued = form_token(rest, creds).json()
    assert issued["expires_in"] == 90
    clock.advance(89)
    assert customer_list(rest, issued["access_token"]).status_code == 200
    clock.advance(2)
    assert customer_list(rest, issued["access_token"]).status_code == 401
