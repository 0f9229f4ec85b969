"""Controls (Python and HTTP): faults, dropped connections, latency, 429s, counts."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from lxml import etree

from sandbox import make_app
from sandbox.server import serve_in_thread

from .conftest import XML_PATH, post_xml, results, xml_request

REPO = Path(__file__).resolve().parents[2]


def create_customer(creds, cid: str) -> bytes:
    fn = (
        f"<create><CUSTOMER><CUSTOMERID>{cid}</CUSTOMERID>"
        "<NAME>n</NAME></CUSTOMER></create>"
    )
    return xml_request(creds, fn)


def exists(sandbox, creds, cid: str) -> bool:
    return sandbox.store.get_by_id(creds["company_id"], "CUSTOMER", cid) is not None


@pytest.fixture
def served(sandbox):
    """The sandbox on a real loopback socket (needed to drop connections)."""
    httpd, base_url = serve_in_thread(make_app(sandbox))
    yield base_url
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_fault_answers_without_executing(client, sandbox, creds, status):
    sandbox.inject_fault(status, count=2)
    for cid in ("F1", "F2"):
        response = client.post(XML_PATH, content=create_customer(creds, cid))
        assert response.status_code == status
        assert (
            etree.fromstring(response.content).findtext(".//errorno").startswith("GW-")
        )
        assert not exists(sandbox, creds, cid)
    if status == 503:
        assert b"The Service is Temporarily Off-line" in response.content
    assert (
        client.post(XML_PATH, content=create_customer(creds, "F3")).status_code == 200
    )


def test_524_fault_commits_then_answers_524(client, sandbox, creds):
    sandbox.inject_fault(524)
    response = client.post(XML_PATH, content=create_customer(creds, "CDN1"))
    assert response.status_code == 524
    assert exists(sandbox, creds, "CDN1")  # processing continued behind the CDN
    log = sandbox.request_log[-1]
    assert (log.api, log.outcome, log.functions) == (
        "xml",
        "committed-then-fault",
        ["create"],
    )


def test_fault_can_target_one_api(client, sandbox, creds):
    sandbox.inject_fault(500, api="rest")
    assert (
        client.post(XML_PATH, content=create_customer(creds, "OK")).status_code == 200
    )
    assert (
        client.get("/ia/api/v1/objects/accounts-receivable/customer").status_code == 500
    )


def test_drop_after_commit_over_a_socket(served, sandbox, creds):
    sandbox.drop_after_commit()
    with pytest.raises(httpx.TransportError):
        httpx.post(
            served + XML_PATH, content=create_customer(creds, "DROP1"), timeout=5
        )
    assert exists(sandbox, creds, "DROP1")
    ok = httpx.post(
        served + XML_PATH, content=create_customer(creds, "DROP2"), timeout=5
    )
    assert ok.status_code == 200


def test_drop_after_commit_in_process(client, sandbox, creds):
    sandbox.drop_after_commit()
    with pytest.raises(ConnectionResetError):
        client.post(XML_PATH, content=create_customer(creds, "DROP3"))
    assert exists(sandbox, creds, "DROP3")


def test_fixed_and_random_latency(client, sandbox, creds):
    sandbox.set_latency(120)
    started = time.perf_counter()
    client.post(XML_PATH, content=create_customer(creds, "L1"))
    assert time.perf_counter() - started >= 0.12
    sandbox.set_latency(min_ms=10, max_ms=30)
    assert 0.01 <= sandbox.config.latency[0] < sandbox.config.latency[1] <= 0.03
    sandbox.set_latency(0)


def test_rate_limit_answers_429_with_headers(client, sandbox, creds):
    sandbox.set_rate_limit(per_minute=2)
    for cid in ("R1", "R2"):
        assert (
            client.post(XML_PATH, content=create_customer(creds, cid)).status_code
            == 200
        )
    response = client.post(XML_PATH, content=create_customer(creds, "R3"))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert (
        response.headers["X-IA-Throttle-Limit-RetryAfter"]
        == response.headers["Retry-After"]
    )
    assert response.headers["X-IA-Throttle-Limit"] == "2"
    assert response.headers["X-IA-Throttle-Limit-Remaining"] == "0"
    root = etree.fromstring(response.content)
    assert root.findtext(".//errorno") == "GW-0010"
    assert root.findtext(".//description") == "API rate limit exceeded"
    assert not exists(sandbox, creds, "R3")
    sandbox.clock.advance(61)
    assert (
        client.post(XML_PATH, content=create_customer(creds, "R3")).status_code == 200
    )


def test_rate_limit_applies_to_rest_with_the_rest_shape(client, sandbox, creds):
    token = sandbox.store.issue_token("rest_access", creds["company_id"], "u", ttl=600)
    sandbox.set_rate_limit(per_minute=1)
    client.post(
        XML_PATH, content=create_customer(creds, "X")
    )  # same company, other API
    response = client.get(
        "/ia/api/v1/objects/accounts-receivable/customer",
        headers={"Authorization": f"Bearer {token.token}"},
    )
    assert response.status_code == 429
    assert response.json()["ia::error"]["code"] == "GW-0010"
    assert "Retry-After" in response.headers


def test_concurrency_limit_per_company(served, sandbox, creds):
    sandbox.set_rate_limit(concurrency=1)
    sandbox.set_latency(300)
    statuses = []

    def call(cid):
        body = create_customer(creds, cid)
        statuses.append(
            httpx.post(served + XML_PATH, content=body, timeout=10).status_code
        )

    threads = [threading.Thread(target=call, args=(f"CC{i}",)) for i in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 429, 429]
    assert sandbox.counts()["_peak_concurrency"][creds["company_id"]] == 1


def test_default_limit_is_tier_1_company_concurrency(sandbox):
    assert sandbox.limiter.concurrency == 8
    sandbox.set_rate_limit(tier=3)
    assert sandbox.limiter.concurrency == 15


def test_http_controls(client, sandbox, creds):
    session = results(post_xml(client, xml_request(creds, "<getAPISession/>")))[0]
    session_id = session.findtext("data/api/sessionid")
    assert client.post("/_sandbox/expire-sessions", json={}).json()["expired"] >= 1
    root = post_xml(
        client, xml_request(creds, "<getDimensions/>", session_id=session_id)
    )
    assert root.findtext("operation/authentication/status") == "failure"

    permission = {
        "user_id": creds["user_id"],
        "object": "CUSTOMER",
        "operation": "create",
    }
    assert client.post("/_sandbox/permissions", json=permission).status_code == 200
    denied = results(post_xml(client, create_customer(creds, "P1")))[0]
    assert "You do not have permission for API" in denied.findtext(".//description2")
    client.post("/_sandbox/permissions", json={**permission, "allow": True})
    assert results(post_xml(client, create_customer(creds, "P1")))[0].findtext(
        "status"
    ) == ("success")

    assert client.post("/_sandbox/faults", json={"status": 503}).status_code == 200
    assert (
        client.post(XML_PATH, content=create_customer(creds, "P2")).status_code == 503
    )
    assert client.post("/_sandbox/latency", json={"ms": 0}).status_code == 200
    assert (
        client.post("/_sandbox/closed-through", json={"date": "2024-01-31"}).status_code
        == 200
    )
    assert sandbox.company().closed_through == "2024-01-31"
    assert (
        client.post("/_sandbox/rate-limit", json={"per_minute": 100}).json()[
            "per_minute"
        ]
        == 100
    )
    assert client.get("/_sandbox/log?limit=1").json()[0]["api"] == "xml"
    assert client.get("/_sandbox/credentials").json() == creds
    assert client.post("/_sandbox/nope").status_code == 404
    assert client.get("/_sandbox/reset").status_code == 405
    assert client.post("/_sandbox/faults", content=b"[1]").status_code == 400

    assert client.post("/_sandbox/reset").status_code == 200
    assert not exists(sandbox, creds, "P1")


def test_counts_endpoint(client, sandbox, creds):
    post_xml(client, create_customer(creds, "CNT1"))
    post_xml(client, create_customer(creds, "CNT1"))  # rejected duplicate
    post_xml(
        client,
        xml_request(creds, "<readByQuery><object>CUSTOMER</object></readByQuery>"),
    )
    counts = client.get("/_sandbox/counts").json()
    company = creds["company_id"]
    assert counts[company]["CUSTOMER"] == 2  # seed WEB-GUEST + CNT1
    assert counts[company]["GLACCOUNT"] >= 10
    assert counts["_requests"]["xml"] == 3
    assert counts["_billed"][company] == 2  # one create, one query
    assert counts["_rejected_duplicates"][company] == 1


def test_credentials_cli_prints_one_json_object(tmp_path, creds):
    db = tmp_path / "cli.sqlite3"
    output = subprocess.run(
        [sys.executable, "-m", "sandbox", "credentials", "--json", "--db", str(db)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    values = json.loads(output)
    assert set(values) == {
        "sender_id",
        "sender_password",
        "company_id",
        "user_id",
        "user_password",
        "client_id",
        "client_secret",
    }
    assert values == creds
    assert db.exists()
