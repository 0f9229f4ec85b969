"""Fixtures and data for the REST sandbox tests.

Every test drives a fresh in-memory sandbox through the real WSGI router over
``httpx.WSGITransport``, mounted under ``/sandbox`` like the hub mounts it. Test
modules pull the fixtures in with ``from tests.sandbox.rest_support import *``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from lxml import etree

from sandbox import company as companies
from sandbox import demo_credentials, make_app

__all__ = [
    "CASES",
    "CUSTOMERS",
    "JOURNAL_ENTRIES",
    "TOKEN_PATH",
    "api",
    "app_error",
    "closed_before",
    "clock",
    "creds",
    "customer_list",
    "entity_ids",
    "form_token",
    "other_user_api",
    "payloads",
    "readonly_api",
    "rest",
    "sb",
    "throttle",
    "xml",
]

TOKEN_PATH = "oauth2/token"
CUSTOMERS = "objects/accounts-receivable/customer"
JOURNAL_ENTRIES = "objects/general-ledger/journal-entry"
BASE_URL = "http://sandbox.test/ia/api/v1/"
REDIRECT_URI = "https://hub.example/oauth/callback"


# -- plumbing -----------------------------------------------------------------------


@pytest.fixture
def sb(sandbox):
    """CORE's fresh in-memory DEMO sandbox (tests/sandbox/conftest.py)."""
    return sandbox


@pytest.fixture
def rest(sb):
    """An unauthenticated client for the REST API, mounted under /sandbox."""
    transport = httpx.WSGITransport(app=make_app(sb), script_name="/sandbox")
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def creds():
    """DEMO credentials plus the REST username and a redirect URI."""
    found = demo_credentials()
    found["username"] = f"{found['user_id']}@{found['company_id']}"
    found["redirect_uri"] = REDIRECT_URI
    return found


@pytest.fixture
def clock(sb):
    """The sandbox clock; ``clock.advance(seconds)`` expires tokens."""
    return sb.clock


def form_token(client: httpx.Client, creds: dict, **change: str) -> httpx.Response:
    """POST a client-credentials token request, with some fields changed."""
    form = {
        "grant_type": "client_credentials",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "username": creds["username"],
        **change,
    }
    return client.post(TOKEN_PATH, data=form)


def customer_list(client: httpx.Client, token: str) -> httpx.Response:
    """List customers with a given bearer token."""
    return client.get(CUSTOMERS, headers={"Authorization": f"Bearer {token}"})


def app_error(response: httpx.Response) -> dict[str, Any]:
    """The ``ia::error`` of an application error answer."""
    return response.json()["ia::result"]["ia::error"]


class Api(httpx.Client):
    """An authenticated client with a ``query`` helper."""

    def query(self, obj: str, fields: list[str], **body: Any) -> list[dict]:
        """Rows of one query-service call (size 4000)."""
        response = self.post(
            "services/core/query",
            json={"object": obj, "fields": fields, "size": 4000, **body},
        )
        assert response.status_code == 200, response.text
        return response.json()["ia::result"]


def _api_for(sb, user_id: str, password: str | None = None):
    creds = demo_credentials()
    transport = httpx.WSGITransport(app=make_app(sb), script_name="/sandbox")
    plain = httpx.Client(transport=transport, base_url=BASE_URL)
    token = form_token(
        plain, {**creds, "username": f"{user_id}@{creds['company_id']}"}
    ).json()["access_token"]
    plain.close()
    return Api(
        transport=transport,
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
def api(sb):
    """The DEMO web-services user, signed in over OAuth client credentials."""
    with _api_for(sb, demo_credentials()["user_id"]) as client:
        yield client


@pytest.fixture
def other_user_api(sb):
    """A second full-rights user of the DEMO company."""
    company = sb.company()
    company.users["rest_second"] = companies.User("rest_second", "second-password")
    companies.save(sb.store, company)
    with _api_for(sb, "rest_second") as client:
        yield client


@pytest.fixture
def readonly_api(sb):
    """The DEMO company's read-only ``auditor`` user."""
    with _api_for(sb, "auditor") as client:
        yield client


@pytest.fixture
def throttle(sb):
    """Call to allow one more request this minute; the one after is throttled."""

    def arm():
        sb.set_rate_limit(per_minute=1)

    yield arm
    sb.set_rate_limit(per_minute=None)


@pytest.fixture
def entity_ids(sb):
    """The DEMO company's entity location ids."""
    return list(sb.company().entities)


@pytest.fixture
def closed_before(sb):
    """An ISO date inside the DEMO company's closed books."""
    closed = sb.company().closed_through
    return f"{closed[:4]}-06-30"


# -- the XML gateway, for cross-API checks -----------------------------------------


class XmlGateway:
    """Posts minimal real XML requests to the sandbox's XML gateway."""

    def __init__(self, sb):
        transport = httpx.WSGITransport(app=make_app(sb), script_name="/sandbox")
        self.client = httpx.Client(transport=transport, base_url="http://sandbox.test")
        self.creds = demo_credentials()

    def call(self, function: etree._Element) -> etree._Element:
        """One function in one request; returns the ``<result>`` element."""
        c = self.creds
        request = etree.Element("request")
        control = etree.SubElement(request, "control")
        for tag, text in (
            ("senderid", c["sender_id"]),
            ("password", c["sender_password"]),
            ("controlid", "rest-tests"),
            ("uniqueid", "false"),
            ("dtdversion", "3.0"),
        ):
            etree.SubElement(control, tag).text = text
        operation = etree.SubElement(request, "operation")
        login = etree.SubElement(etree.SubElement(operation, "authentication"), "login")
        for tag, text in (
            ("userid", c["user_id"]),
            ("companyid", c["company_id"]),
            ("password", c["user_password"]),
        ):
            etree.SubElement(login, tag).text = text
        content = etree.SubElement(operation, "content")
        wrapper = etree.SubElement(content, "function", controlid="f1")
        wrapper.append(function)
        response = self.client.post(
            "/ia/xml/xmlgw.phtml",
            content=etree.tostring(request, xml_declaration=True, encoding="UTF-8"),
            headers={"Content-Type": "application/xml"},
        )
        root = etree.fromstring(response.content)
        result = root.find("operation/result")
        assert result is not None, response.text
        assert result.findtext("status") == "success", response.text
        return result

    def create(self, obj: str, fields: dict[str, Any]) -> None:
        """``<create><OBJ>…</OBJ></create>``."""
        create = etree.Element("create")
        _fill(etree.SubElement(create, obj), fields)
        self.call(create)

    def read(self, obj: str, key: Any) -> dict[str, Any]:
        """``<read>`` one record by RECORDNO, as a nested dict."""
        read = etree.Element("read")
        etree.SubElement(read, "object").text = obj
        etree.SubElement(read, "keys").text = str(key)
        etree.SubElement(read, "fields").text = "*"
        data = self.call(read).find("data")
        return _as_dict(data[0])


def _fill(parent: etree._Element, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        child = etree.SubElement(parent, name)
        if isinstance(value, dict):
            _fill(child, value)
        else:
            child.text = str(value)


def _as_dict(element: etree._Element) -> Any:
    if len(element) == 0:
        return element.text or ""
    return {child.tag: _as_dict(child) for child in element}


@pytest.fixture
def xml(sb):
    """The XML gateway of the same sandbox (skips until the gateway exists)."""
    if importlib.util.find_spec("sandbox.xml.gateway") is None:
        pytest.skip("the sandbox XML gateway (sandbox/xml/gateway.py) is not built yet")
    gateway = XmlGateway(sb)
    yield gateway
    gateway.client.close()


# -- one valid body per covered object ------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One covered object: where it lives and how to exercise it."""

    rest_path: str
    document: str | None  # official OpenAPI document, None when not shared
    collection: str  # the OpenAPI path of the collection
    patch: dict[str, Any]
    query_fields: tuple[str, ...] = ()
    echo_paths: tuple[str, ...] = field(default_factory=tuple)

    def echo(self, body: dict[str, Any]) -> dict[str, Any]:
        """The dotted paths of ``body`` expected back unchanged on a read."""
        flat: dict[str, Any] = {}
        for path in self.echo_paths:
            node: Any = body
            for part in path.split("."):
                if isinstance(node, list):
                    node = node[int(part)]
                elif isinstance(node, dict) and part in node:
                    node = node[part]
                else:
                    break
            else:
                flat[path] = node
        return flat


CASES = [
    Case(
        CUSTOMERS,
        "accounts-receivable",
        "/objects/accounts-receivable/customer",
        patch={"name": "Renamed customer", "creditLimit": 750},
        query_fields=("name", "status", "term.id", "contacts.default.email1"),
        echo_paths=(
            "id",
            "name",
            "status",
            "creditLimit",
            "term.id",
            "contacts.default.email1",
            "contacts.default.mailingAddress.city",
        ),
    ),
    Case(
        "objects/accounts-receivable/invoice",
        "accounts-receivable",
        "/objects/accounts-receivable/invoice",
        patch={"description": "Patched invoice"},
        query_fields=("invoiceNumber", "customer.id", "totalTxnAmount", "invoiceDate"),
        echo_paths=(
            "invoiceNumber",
            "customer.id",
            "invoiceDate",
            "dueDate",
            "description",
            "lines.0.txnAmount",
            "lines.0.glAccount.id",
            "lines.0.dimensions.department.id",
            "description",
        ),
    ),
    Case(
        "objects/order-entry/document::Sales Order",
        "order-entry",
        "/objects/order-entry/document::{documentName}",
        patch={"memo": "Patched order"},
        query_fields=("documentNumber", "customer.id", "total", "state"),
        echo_paths=(
            "customer.id",
            "txnDate",
            "referenceNumber",
            "lines.0.unitQuantity",
            "lines.0.dimensions.item.id",
            "lines.0.dimensions.warehouse.id",
            "memo",
        ),
    ),
    Case(
        JOURNAL_ENTRIES,
        "general-ledger",
        "/objects/general-ledger/journal-entry",
        patch={"description": "Patched journal entry"},
        query_fields=("glJournal.id", "postingDate", "description", "state"),
        echo_paths=(
            "glJournal.id",
            "postingDate",
            "description",
            "lines.0.txnType",
            "lines.0.txnAmount",
            "lines.1.glAccount.id",
        ),
    ),
    Case(
        "objects/inventory-control/item",
        "inventory-control",
        "/objects/inventory-control/item",
        patch={"name": "Renamed item", "sales": {"basePrice": "19.99"}},
        query_fields=("name", "itemType", "sales.basePrice"),
        echo_paths=("id", "name", "itemType", "sales.basePrice"),
    ),
    Case(
        "objects/general-ledger/account",
        "general-ledger",
        "/objects/general-ledger/account",
        patch={"name": "Renamed account"},
        query_fields=("name", "accountType", "normalBalance"),
        echo_paths=("id", "name", "accountType", "normalBalance"),
    ),
    Case(
        "objects/company-config/location",
        None,
        "",
        patch={"name": "Moved"},
        echo_paths=("id", "name", "parent.id"),
    ),
    Case(
        "objects/company-config/department",
        None,
        "",
        patch={"name": "Renamed"},
        echo_paths=("id", "name"),
    ),
    Case(
        "objects/company-config/class",
        None,
        "",
        patch={"name": "Renamed"},
        echo_paths=("id", "name", "description"),
    ),
]


@pytest.fixture
def payloads():
    """A valid create body per covered object, using the DEMO seed data."""
    return {
        CUSTOMERS: {
            "id": "C-REST-100",
            "name": "Starluck & Co",
            "status": "active",
            "creditLimit": 50000,
            "term": {"id": "N30"},
            "contacts": {
                "default": {
                    "email1": "ar@starluck.example",
                    "mailingAddress": {"city": "Sacramento"},
                }
            },
        },
        "objects/accounts-receivable/invoice": {
            "invoiceNumber": "SI-0034",
            "customer": {"id": "WEB-GUEST"},
            "invoiceDate": "2024-12-06",
            "dueDate": "2024-12-31",
            "description": "Web order 1001",
            "lines": [
                {
                    "txnAmount": "100.40",
                    "glAccount": {"id": "4000"},
                    "memo": "Goods",
                    "dimensions": {
                        "department": {"id": "SALES"},
                        "location": {"id": "110"},
                    },
                }
            ],
        },
        "objects/order-entry/document::Sales Order": {
            "customer": {"id": "WEB-GUEST"},
            "state": "submitted",
            "txnDate": "2024-11-01",
            "dueDate": "2024-12-12",
            "referenceNumber": "PO-77",
            "lines": [
                {
                    "dimensions": {
                        "item": {"id": "SKU-1001"},
                        "warehouse": {"id": "WH-US"},
                        "location": {"id": "100"},
                    },
                    "unit": "Each",
                    "unitQuantity": "2",
                    "unitPrice": "25",
                }
            ],
        },
        JOURNAL_ENTRIES: {
            "glJournal": {"id": "GJ"},
            "postingDate": "2024-11-01",
            "description": "Daily sales summary",
            "lines": [
                {
                    "txnType": "debit",
                    "txnAmount": "200.00",
                    "glAccount": {"id": "1250"},
                    "dimensions": {
                        "department": {"id": "SALES"},
                        "location": {"id": "100"},
                    },
                },
                {
                    "txnType": "credit",
                    "txnAmount": "200.00",
                    "glAccount": {"id": "4000"},
                },
            ],
        },
        "objects/inventory-control/item": {
            "id": "SKU-REST-1",
            "name": "Green Cap",
            "itemType": "inventory",
            "sales": {"basePrice": "12.50"},
        },
        "objects/general-ledger/account": {
            "id": "4020",
            "name": "Gift card revenue",
            "accountType": "incomeStatement",
            "normalBalance": "credit",
        },
        "objects/company-config/location": {
            "id": "120",
            "name": "US Pop-up",
            "parent": {"id": "100"},
        },
        "objects/company-config/department": {"id": "MKT", "name": "Marketing"},
        "objects/company-config/class": {
            "id": "B2B",
            "name": "Business",
            "description": "Trade accounts",
        },
    }
