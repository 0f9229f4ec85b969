"""Shared sandbox fixtures: fresh in-memory sandbox, in-process client, credentials.

Generic on purpose: the XML and REST test modules both use them.
"""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from sandbox import Sandbox, demo_credentials, make_app

BASE_URL = "https://sandbox.test"


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh in-memory sandbox with the DEMO company seeded."""
    sb = Sandbox()
    yield sb
    sb.close()


@pytest.fixture
def app(sandbox):
    """The sandbox's WSGI app."""
    return make_app(sandbox)


@pytest.fixture
def client(app) -> httpx.Client:
    """httpx.Client talking to the sandbox in-process (no sockets)."""
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def creds() -> dict:
    """The DEMO company's credentials."""
    return demo_credentials()


# --- XML gateway helpers -------------------------------------------------------------

XML_PATH = "/ia/xml/xmlgw.phtml"


def xml_request(
    creds: dict,
    *functions,
    session_id: str | None = None,
    uniqueid: str | None = "false",
    transaction: bool = False,
    entity: str | None = None,
    user: tuple[str, str] | None = None,
    sender: tuple[str, str] | None = None,
    whitespace: str = "false",
) -> bytes:
    """A gateway request built with lxml; each function is an XML snippet or Element.

    A snippet may carry its own controlid as `("cid", snippet)`; otherwise f1, f2…
    """
    sender_id, sender_password = sender or (
        creds["sender_id"],
        creds["sender_password"],
    )
    root = etree.Element("request")
    control = etree.SubElement(root, "control")
    for name, value in (
        ("senderid", sender_id),
        ("password", sender_password),
        ("controlid", "test-request"),
        ("uniqueid", uniqueid),
        ("dtdversion", "3.0"),
        ("includewhitespace", whitespace),
    ):
        if value is not None:
            etree.SubElement(control, name).text = value
    operation = etree.SubElement(root, "operation")
    if transaction:
        operation.set("transaction", "true")
    auth = etree.SubElement(operation, "authentication")
    if session_id is not None:
        etree.SubElement(auth, "sessionid").text = session_id
    else:
        user_id, password = user or (creds["user_id"], creds["user_password"])
        login = etree.SubElement(auth, "login")
        etree.SubElement(login, "userid").text = user_id
        etree.SubElement(login, "companyid").text = creds["company_id"]
        etree.SubElement(login, "password").text = password
        if entity:
            etree.SubElement(login, "locationid").text = entity
    content = etree.SubElement(operation, "content")
    for index, function in enumerate(functions, start=1):
        controlid, body = (
            function if isinstance(function, tuple) else (f"f{index}", function)
        )
        wrapper = etree.SubElement(content, "function", controlid=controlid)
        wrapper.append(
            etree.fromstring(body) if isinstance(body, str | bytes) else body
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def post_xml(client, body: bytes, path: str = XML_PATH):
    """POST a gateway request; returns the parsed <response> (asserts HTTP 200)."""
    response = client.post(
        path, content=body, headers={"Content-Type": "application/xml"}
    )
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content)


def results(root) -> list:
    """The <result> elements of a response."""
    return root.findall("operation/result")


@pytest.fixture
def gateway(client, creds):
    """call(*functions, **options) -> parsed response, logged in as the DEMO user."""

    def call(*functions, **options):
        return post_xml(client, xml_request(creds, *functions, **options))

    return call
