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
