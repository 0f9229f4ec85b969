"""Every error class, raised from a real sandbox answer."""

import datetime as dt
from decimal import Decimal

import pytest

from sync.intacct import (
    ARInvoice,
    AuthError,
    BusinessRuleError,
    Credentials,
    Customer,
    Dimensions,
    DocumentRef,
    DuplicateRecord,
    IntacctClient,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    TransportError,
    ValidationError,
)
from sync.intacct.objects import customer as customer_module

DAY = dt.date(2026, 1, 15)


def inv(number: str, customer: str = "E-1") -> ARInvoice:
    line = InvoiceLine("4000", Decimal("10.00"), dimensions=Dimensions(location="110"))
    return ARInvoice(customer, DAY, (line,), invoice_number=number)


@pytest.fixture
def ready(client):
    client.upsert_customer(Customer("E-1", "Errors"), idempotency_key="e" * 32)
    return client


def test_auth_error(make_client, credentials, protocol):
    from dataclasses import replace

    bad = replace(credentials, user_password="wrong", client_secret="wrong")
    client = make_client(protocol, creds=bad)
    with pytest.raises(AuthError) as info:
        client.find("CUSTOMER", ["X"])
    assert not info.value.retryable


def test_permission_denied(ready, sandbox):
    sandbox.revoke_permission("xml_gateway", "ARINVOICE", "create")
    with pytest.raises(PermissionDenied) as info:
        ready.post_ar_invoice(inv("P-1"), idempotency_key="1" * 32)
    assert not info.value.retryable


def test_not_found(ready, protocol):
    with pytest.raises(NotFound):
        ready.reverse_or_void(
            DocumentRef("ARINVOICE", "999999"), idempotency_key="2" * 32, date=DAY
        )


def test_validation_error_carries_intacct_detail(ready):
    with pytest.raises(ValidationError) as info:
        ready.post_ar_invoice(inv("V-1", customer="NO-SUCH"), idempotency_key="3" * 32)
    error = info.value
    assert error.errorno and error.description2
    assert error.idempotency_key == "3" * 32
    assert not error.retryable


def test_business_rule_error_on_a_closed_period(ready, sandbox):
    sandbox.set_closed_through("2026-01-31")
    with pytest.raises(BusinessRuleError) as info:
        ready.post_ar_invoice(inv("BR-1"), idempotency_key="4" * 32)
    assert "closed" in info.value.description2.lower()


def test_business_rule_error_on_an_unbalanced_entry(ready):
    entry = JournalEntry(
        "GJ",
        DAY,
        "unbalanced",
        (JournalLine("1100", Decimal(5), True), JournalLine("4000", Decimal(4), False)),
    )
    with pytest.raises(BusinessRuleError):
        ready.post_journal_entry(entry, idempotency_key="5" * 32)


def test_duplicate_record(ready, protocol):
    dup = Customer("E-1", "Again")
    with pytest.raises(DuplicateRecord):
        if protocol == "rest":
            ready.rest.create(
                "accounts-receivable/customer",
                customer_module.rest_body(dup, ""),
                idempotency_key="6" * 32,
            )
        else:
            ready.xml.call(customer_module.xml_create(dup, "6" * 32))


def test_rate_limited_after_retries_honouring_retry_after(ready, sandbox):
    sandbox.set_rate_limit(per_minute=1)
    with pytest.raises(RateLimited) as info:
        for i in range(3):
            ready.find("CUSTOMER", [f"RL-{i}"])
    assert info.value.retryable
    sleeps = ready.transport.sleep
    assert sleeps and min(sleeps) >= 1  # waited as told, not a blind hammering


def test_service_unavailable_after_retries(ready, sandbox):
    sandbox.inject_fault(503, count=50)
    with pytest.raises(ServiceUnavailable) as info:
        ready.find("CUSTOMER", ["SU-1"])
    assert info.value.retryable
    assert len(ready.transport.sleep) == ready.transport.max_retries


def test_a_503_on_a_write_is_retried_safely(ready, sandbox):
    sandbox.inject_fault(503, count=2)
    made = ready.post_ar_invoice(inv("W-503"), idempotency_key="7" * 32)
    assert made.outcome == "created"
    assert len(ready.find("ARINVOICE", ["W-503"])) == 1


def test_outcome_unknown_on_commit_then_drop_then_find_links(ready, sandbox, protocol):
    sandbox.drop_after_commit(1)
    with pytest.raises(OutcomeUnknown) as info:
        ready.post_ar_invoice(inv("OU-1"), idempotency_key="8" * 32)
    assert info.value.idempotency_key == "8" * 32
    found = ready.find("ARINVOICE", ["OU-1"])
    assert "OU-1" in found  # the write did commit
    again = ready.post_ar_invoice(inv("OU-1"), idempotency_key="8" * 32, pre_read=True)
    assert (again.outcome, again.key) == ("linked", found["OU-1"].key)


def test_524_on_a_write_is_outcome_unknown(ready, sandbox):
    sandbox.inject_fault(524)
    with pytest.raises(OutcomeUnknown):
        ready.post_ar_invoice(inv("524-1"), idempotency_key="9" * 32)
    assert "524-1" in ready.find("ARINVOICE", ["524-1"])


def test_transport_error_when_nothing_answers(credentials):
    dead = Credentials.from_dict(
        {**credentials.__dict__}, base_url="http://127.0.0.1:9"
    )
    client = IntacctClient(dead, sleep=lambda s: None, max_retries=1)
    with pytest.raises(TransportError) as info:
        client.find("CUSTOMER", ["X"])
    assert info.value.retryable
    client.close()
