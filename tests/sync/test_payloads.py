import datetime as dt
from decimal import Decimal

import pytest

from sync.intacct import ARInvoice, Customer
from sync.payloads import PayloadError, build_record, target_fields


def test_it_builds_an_invoice_from_every_line_scope_in_order():
    invoice = build_record(
        "post_ar_invoice",
        {
            "customer_id": "C-9",
            "date": "2026-11-20T10:00:00Z",
            "invoice_number": "1001",
            "lines": [{"gl_account": "4000", "amount": "20.00"}],
            "shipping_lines": [{"gl_account": "4010", "amount": "5"}],
            "$tax": [
                {"gl_account": "2100", "amount": "2.10", "dimensions.location": "110"}
            ],
        },
    )
    assert isinstance(invoice, ARInvoice)
    assert invoice.date == dt.date(2026, 11, 20)
    assert [(line.gl_account, line.amount) for line in invoice.lines] == [
        ("4000", Decimal("20.00")),
        ("4010", Decimal("5")),
        ("2100", Decimal("2.10")),
    ]
    assert invoice.lines[2].dimensions.location == "110"


def test_it_nests_dotted_targets_and_keeps_custom_fields():
    customer = build_record(
        "upsert_customer",
        {
            "customer_id": "C-9",
            "name": "Ada Lovelace",
            "address.city": "London",
            "address.country": "United Kingdom",
            "custom_fields": {"REGION": "EU"},
        },
    )
    assert isinstance(customer, Customer)
    assert customer.address.city == "London"
    assert customer.custom_fields == {"REGION": "EU"}


@pytest.mark.parametrize(
    ("action", "body", "message"),
    [
        ("upsert_customer", {"customer_id": "C"}, "required field 'name'"),
        (
            "upsert_customer",
            {"customer_id": "C", "name": "N", "colour": "x"},
            "unknown field 'colour'",
        ),
        (
            "post_ar_invoice",
            {"customer_id": "C", "date": "yesterday", "lines": []},
            "not a valid date",
        ),
        (
            "post_ar_invoice",
            {
                "customer_id": "C",
                "date": "2026-01-01",
                "lines": [{"gl_account": "4000", "amount": "ten"}],
            },
            "lines\\[0\\].amount: 'ten' is not a valid Decimal",
        ),
        ("upsert_item", {"item_id": "I", "name": "N", "lines": [{}]}, "takes no lines"),
        ("frobnicate", {}, "no record type"),
    ],
)
def test_a_payload_that_does_not_fit_names_the_field(action, body, message):
    with pytest.raises(PayloadError, match=message):
        build_record(action, body)


def test_target_fields_list_header_nested_and_line_targets():
    fields = target_fields("post_ar_invoice")
    assert "customer_id" in fields
    assert "lines[].gl_account" in fields
    assert "lines[].dimensions.location" in fields
    assert "address.city" in target_fields("upsert_customer")


def test_the_class_dimension_may_be_named_class_or_class_():
    for target in ("dimensions.class", "dimensions.class_"):
        invoice = build_record(
            "post_ar_invoice",
            {
                "customer_id": "C",
                "date": "2026-01-01",
                "lines": [{"gl_account": "4000", "amount": "1", target: "ONLINE"}],
            },
        )
        assert invoice.lines[0].dimensions.class_ == "ONLINE"
