"""XML sessions and REST tokens renew themselves, transparently."""

from sync.intacct import Customer


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_xml_session_is_reused_then_reestablished_after_forced_expiry(
    make_client, sandbox
):
    client = make_client("xml")
    client.find("CUSTOMER", ["X"])
    client.find("CUSTOMER", ["Y"])
    assert client.xml.sessions_opened == 1
    sandbox.expire_sessions()
    assert client.find("CUSTOMER", ["Z"]) == {}
    assert client.xml.sessions_opened == 2


def test_xml_session_renews_before_its_sliding_timeout(make_client, sandbox):
    sandbox.update_company("SANDBOX-DEMO", session_ttl=600)
    clock = Clock()
    client = make_client("xml", clock=clock)
    client.find("CUSTOMER", ["X"])
    clock.now += 200  # inside the window: reused, and the timeout slides
    client.find("CUSTOMER", ["X"])
    assert client.xml.sessions_opened == 1
    clock.now += 500  # past timeout minus margin: renewed before it lapses
    client.find("CUSTOMER", ["X"])
    assert client.xml.sessions_opened == 2


def test_rest_token_is_refreshed_once_on_token_invalid(make_client, sandbox):
    client = make_client("rest")
    client.upsert_customer(Customer("T-1", "Token"), idempotency_key="1" * 32)
    assert client.tokens.tokens_issued == 1
    sandbox.expire_sessions()
    made = client.upsert_customer(Customer("T-2", "Token"), idempotency_key="2" * 32)
    assert made.outcome == "created"
    assert client.tokens.tokens_issued == 2


def test_rest_token_is_refreshed_before_expiry(make_client):
    clock = Clock()
    client = make_client("rest", clock=clock)
    client.find("CUSTOMER", ["A"])
    token = client.tokens._token
    clock.now = token.expires_at + 1
    client.find("CUSTOMER", ["A"])
    assert client.tokens.tokens_issued == 2


def authorization_code(app, credentials, redirect_uri: str) -> str:
    """Sign in on the sandbox's authorize page, as a person would, for a code."""
    import httpx

    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://sandbox.test"
    ) as browser:
        answer = browser.post(
            "/ia/api/v1/oauth2/authorize",
            data={
                "response_type": "code",
                "client_id": credentials.client_id,
                "redirect_uri": redirect_uri,
                "state": "s1",
                "scope": "offline_access",
                "company_id": credentials.company_id,
                "user_id": credentials.user_id,
                "password": credentials.user_password,
            },
        )
    assert answer.status_code == 302, answer.text
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


def test_authorization_code_then_refresh_token(make_client, app, credentials):
    from sync.intacct import Credentials

    redirect = "https://hub.example/oauth/callback"
    code = authorization_code(app, credentials, redirect)
    stored = []
    creds = Credentials(
        company_id=credentials.company_id,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        authorization_code=code,
        redirect_uri=redirect,
    )
    clock = Clock()
    client = make_client(
        "rest", creds=creds, clock=clock, on_refresh_token=stored.append
    )
    client.upsert_customer(Customer("AC-1", "Code flow"), idempotency_key="3" * 32)
    assert len(stored) == 1  # the hub is handed the refresh token to keep
    clock.now = client.tokens._token.expires_at + 1
    client.find("CUSTOMER", ["AC-1"])  # refreshed with the refresh token grant
    assert client.tokens.tokens_issued == 2
    assert stored[-1]  # (rotated or not, the newest is kept)


def test_entity_scoped_client_on_both_protocols(make_client, credentials):
    entity = credentials.for_entity("100")
    for protocol in ("rest", "xml"):
        client = make_client(protocol, creds=entity)
        made = client.upsert_customer(
            Customer(f"ENT-{protocol}", "Entity customer"),
            idempotency_key=f"{protocol:x>32}",
        )
        assert made.outcome == "created"
        assert f"ENT-{protocol}" in client.find("CUSTOMER", [f"ENT-{protocol}"])
    assert entity.scope == f"{credentials.company_id}/100"
