"""The sandbox mounted under a prefix, as the hub serves it at /sandbox/: both APIs
work through a base URL that carries the prefix."""

import httpx

from intacct_hub.wsgi import PrefixDispatcher
from sandbox import Sandbox, demo_credentials, make_app
from sync.intacct import Credentials, Customer, IntacctClient


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"the hub answers here, not the sandbox"]


def test_both_protocols_work_under_the_sandbox_prefix():
    sandbox = Sandbox()
    app = PrefixDispatcher(not_found, make_app(sandbox))
    creds = Credentials.from_dict(
        demo_credentials(), base_url="http://hub.test/sandbox"
    )
    routes = {"upsert_customer": "xml"}
    with IntacctClient(
        creds, http_transport=httpx.WSGITransport(app=app), routes=routes
    ) as client:
        over_xml = client.upsert_customer(
            Customer(customer_id="PX-1", name="Prefixed"), idempotency_key="a" * 32
        )
        found = client.find("CUSTOMER", ["PX-1"])  # a REST query by default
    assert over_xml.protocol == "xml" and over_xml.outcome == "created"
    assert found["PX-1"].key == over_xml.key
