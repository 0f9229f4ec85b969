"""With DEBUG logging on, no secret reaches a log line or a stored excerpt."""

import datetime as dt
import logging
from dataclasses import replace
from decimal import Decimal

import pytest

from sync.intacct import ARInvoice, Customer, Dimensions, IntacctError, InvoiceLine

LOGGERS = ("sync.intacct", "httpx", "httpcore", "sandbox")


@pytest.fixture
def debug_logs(caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)
    return caplog


def test_no_secret_in_logs_or_excerpts(make_client, credentials, sandbox, debug_logs):
    attempts = []
    seen_secrets = set(credentials.secrets())
    for protocol in ("rest", "xml"):
        client = make_client(protocol, on_attempt=attempts.append)
        client.upsert_customer(Customer("S-1", "Secretive"), idempotency_key="1" * 32)
        line = InvoiceLine("4000", Decimal("1"), dimensions=Dimensions(location="110"))
        client.post_ar_invoice(
            ARInvoice(
                "S-1", dt.date(2026, 1, 15), (line,), invoice_number=f"S-{protocol}"
            ),
            idempotency_key=("2" if protocol == "rest" else "3") * 32,
        )
        sandbox.expire_sessions()  # force a re-login / token refresh on the record
        client.find("CUSTOMER", ["S-1"])
        with pytest.raises(IntacctError):
            make_client(
                protocol,
                creds=replace(
                    credentials,
                    user_password="wrong-pass-123",
                    client_secret="wrong-secret-123",
                ),
            ).find("CUSTOMER", ["S-1"])
        seen_secrets.update({"wrong-pass-123", "wrong-secret-123"})
        session = client.xml.sessions.get(client.credentials.scope)
        if session:
            seen_secrets.add(session.session_id)
        if client.tokens._token:
            seen_secrets.add(client.tokens._token.access_token)
            if client.tokens._token.refresh_token:
                seen_secrets.add(client.tokens._token.refresh_token)

    assert attempts, "the attempt hook saw nothing"
    text = debug_logs.text + "".join(
        a.request_excerpt + a.response_excerpt + a.error for a in attempts
    )
    assert any("<password>***</password>" in a.request_excerpt for a in attempts)
    for secret in seen_secrets:
        assert secret not in text, "a secret leaked into logs or excerpts"


def test_no_secret_in_httpcore_logs_over_loopback(loopback_url, debug_logs):
    """Over a real socket httpcore logs too; still no secret."""
    from sync.intacct import Credentials, IntacctClient

    creds = Credentials.from_dict(sandbox_credentials(), base_url=loopback_url)
    attempts = []
    with IntacctClient(creds, on_attempt=attempts.append) as client:
        client.upsert_customer(Customer("LB-1", "Loopback"), idempotency_key="4" * 32)
        client.xml.session()
        client.find("CUSTOMER", ["LB-1"])
        secrets = set(creds.secrets())
        secrets.add(client.xml.sessions.get(creds.scope).session_id)
        secrets.add(client.tokens._token.access_token)
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    text = debug_logs.text + "".join(
        a.request_excerpt + a.response_excerpt for a in attempts
    )
    for secret in secrets:
        assert secret not in text


def sandbox_credentials() -> dict:
    from sandbox import demo_credentials

    return demo_credentials()
