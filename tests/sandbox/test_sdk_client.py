"""The published client `sageintacctsdk` 1.28.1 works against the sandbox unchanged.

The SDK hard-codes https://api.intacct.com (WIRE.md C). We redirect only that
initial URL (as an HTTPS proxy or hosts-file entry would); the session login,
the `<endpoint>` the sandbox hands back and every call after it are the SDK's own.
"""

from __future__ import annotations

import pytest

from sandbox import Sandbox, make_app, rules
from sandbox.server import serve_in_thread

sdk_module = pytest.importorskip("sageintacctsdk")
from sageintacctsdk import SageIntacctSDK  # noqa: E402
from sageintacctsdk.apis.api_base import ApiBase  # noqa: E402
from sageintacctsdk.exceptions import NoPrivilegeError, WrongParamsError  # noqa: E402

BULK = 2500


def first(data: dict, tag: str) -> dict:
    """readByQuery rows come back as a dict for one row, a list for several."""
    rows = data[tag]
    return rows[0] if isinstance(rows, list) else rows


@pytest.fixture(scope="module")
def server():
    """A threaded sandbox server on an ephemeral loopback port with 2,500 customers."""
    sandbox = Sandbox()
    ctx = sandbox.context()
    with sandbox.store.transaction():
        for i in range(BULK):
            rules.create(
                ctx, "CUSTOMER", {"CUSTOMERID": f"BULK-{i:05d}", "NAME": f"Bulk {i}"}
            )
    httpd, base_url = serve_in_thread(make_app(sandbox))
    yield sandbox, base_url
    httpd.shutdown()
    httpd.server_close()
    sandbox.close()


@pytest.fixture
def sdk_factory(server, monkeypatch, creds):
    """Build SageIntacctSDK objects whose initial URL is the local sandbox."""
    sandbox, base_url = server
    original_init = ApiBase.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._ApiBase__api_url = f"{base_url}/ia/xml/xmlgw.phtml"

    monkeypatch.setattr(ApiBase, "__init__", init)

    def make(user_id=None, password=None):
        return SageIntacctSDK(
            sender_id=creds["sender_id"],
            sender_password=creds["sender_password"],
            user_id=user_id or creds["user_id"],
            company_id=creds["company_id"],
            user_password=password or creds["user_password"],
        )

    return make


def test_session_login_returns_the_sandbox_endpoint(server, sdk_factory):
    sdk = sdk_factory()
    _, base_url = server
    assert sdk.api_base._ApiBase__session_id.endswith("..")
    assert sdk.api_base._ApiBase__api_url == f"{base_url}/ia/xml/xmlgw.phtml"


def test_create_read_update_delete_customer(sdk_factory):
    sdk = sdk_factory()
    created = sdk.customers.post({"CUSTOMERID": "SDK-1", "NAME": "SDK & Sons <1>"})
    assert created["status"] == "success"
    recordno = created["data"]["customer"]["RECORDNO"]

    found = sdk.customers.get(field="CUSTOMERID", value="SDK-1")
    assert first(found, "customer")["NAME"] == "SDK & Sons <1>"

    updated = sdk.customers.update({"CUSTOMERID": "SDK-1", "NAME": "Renamed"})
    assert updated["data"]["customer"]["RECORDNO"] == recordno
    assert (
        first(sdk.customers.get("CUSTOMERID", "SDK-1"), "customer")["NAME"] == "Renamed"
    )

    assert sdk.customers.delete(recordno)["status"] == "success"
    assert sdk.customers.get("CUSTOMERID", "SDK-1")["@count"] == "0"


def test_legacy_invoice_and_sales_order(sdk_factory):
    sdk = sdk_factory()
    invoice = sdk.ar_invoices.post(
        {
            "customerid": "BULK-00001",
            "datecreated": {"year": 2025, "month": 3, "day": 14},
            "termname": "N30",
            "invoiceno": "INV-SDK-1",
            "invoiceitems": {
                "lineitem": [
                    {"glaccountno": "4000", "amount": "100.005", "locationid": "110"},
                    {"glaccountno": "4010", "amount": "9.99"},
                ]
            },
        }
    )
    assert invoice["status"] == "success"
    row = first(sdk.ar_invoices.get("RECORDID", "INV-SDK-1"), "arinvoice")
    assert row["RECORDNO"] == invoice["key"]
    assert row["TOTALENTERED"] == "110.00"  # 100.01 + 9.99, rounded half-up
    assert row["WHENDUE"] == "04/13/2025"

    order = sdk.order_entry_transactions.post(
        {
            "transactiontype": "Sales Order",
            "datecreated": {"year": 2025, "month": 3, "day": 14},
            "customerid": "BULK-00002",
            "documentno": "SO-SDK-1",
            "sotransitems": {
                "sotransitem": [{"itemid": "SKU-1001", "quantity": "2", "price": "25"}]
            },
        }
    )
    assert order["key"] == "Sales Order-SO-SDK-1"
    so = first(sdk.order_entry_transactions.get("DOCNO", "SO-SDK-1"), "sodocument")
    assert so["TOTAL"] == "50.00"


def test_journal_entry(sdk_factory):
    sdk = sdk_factory()
    entry = sdk.journal_entries.post(
        {
            "JOURNAL": "GJ",
            "BATCH_DATE": "03/14/2025",
            "BATCH_TITLE": "Daily summary",
            "ENTRIES": {
                "GLENTRY": [
                    {"ACCOUNTNO": "1250", "TR_TYPE": "1", "TRX_AMOUNT": "120.00"},
                    {"ACCOUNTNO": "4000", "TR_TYPE": "-1", "TRX_AMOUNT": "100.00"},
                    {"ACCOUNTNO": "2100", "TR_TYPE": "-1", "TRX_AMOUNT": "20.00"},
                ]
            },
        }
    )
    assert entry["status"] == "success"
    assert entry["data"]["glbatch"]["RECORDNO"]


def test_count_and_get_all_page_through_every_customer(server, sdk_factory):
    sandbox, _ = server
    sdk = sdk_factory()
    expected = sandbox.store.count(sandbox.company().company_id, "CUSTOMER")
    assert expected > 2000  # more than one page of 2,000

    assert sdk.customers.count() == expected  # STATUS = 'active'
    everyone = sdk.customers.get_all()
    ids = {row["CUSTOMERID"] for row in everyone}
    assert len(everyone) == expected == len(ids)
    assert {"BULK-00000", f"BULK-{BULK - 1:05d}"} <= ids


def test_business_errors_surface_as_sdk_exceptions(sdk_factory):
    sdk = sdk_factory()
    with pytest.raises(WrongParamsError) as duplicate:
        sdk.customers.post({"CUSTOMERID": "BULK-00003", "NAME": "again"})
    errors = duplicate.value.response["error"]
    assert [e["errorno"] for e in errors] == ["BL34000061", "BL01001973"]

    auditor = sdk_factory("auditor", "sandbox-auditor-password")
    with pytest.raises(NoPrivilegeError):
        auditor.customers.post({"CUSTOMERID": "NOPE", "NAME": "no permission"})
