"""Business rules shared by both APIs, exercised directly through sandbox.rules."""

from __future__ import annotations

import pytest

from sandbox import errors, rules


@pytest.fixture
def ctx(sandbox, creds):
    """The DEMO user's context (permissions apply)."""
    return sandbox.context(user_id=creds["user_id"], api="xml")


def invoice(**changes) -> dict:
    line = {"ACCOUNTNO": "4000", "AMOUNT": "10.00"}
    line.update(changes.pop("line", {}))
    fields = {
        "CUSTOMERID": "WEB-GUEST",
        "WHENCREATED": "2025-05-01",
        "TERMNAME": "N30",
        "ARINVOICEITEMS": [line],
    }
    fields.update(changes)
    return fields


def journal(*lines, **changes) -> dict:
    fields = {
        "JOURNAL": "GJ",
        "BATCH_DATE": "05/01/2025",
        "BATCH_TITLE": "t",
        "ENTRIES": {"GLENTRY": list(lines)},
    }
    fields.update(changes)
    return fields


def dr(amount, account="1250", **extra):
    return {"ACCOUNTNO": account, "TR_TYPE": "1", "TRX_AMOUNT": amount, **extra}


def cr(amount, account="4000", **extra):
    return {"ACCOUNTNO": account, "TR_TYPE": "-1", "TRX_AMOUNT": amount, **extra}


@pytest.mark.parametrize(
    ("obj", "fields", "missing"),
    [
        ("CUSTOMER", {"CUSTOMERID": "C"}, "NAME"),
        ("ITEM", {"ITEMID": "I"}, "NAME"),
        ("DEPARTMENT", {"DEPARTMENTID": "D"}, "TITLE"),
        ("GLBATCH", {"JOURNAL": "GJ", "BATCH_DATE": "05/01/2025"}, "BATCH_TITLE"),
        (
            "ARINVOICE",
            {"CUSTOMERID": "WEB-GUEST", "WHENCREATED": "2025-05-01"},
            "ARINVOICEITEMS",
        ),
        (
            "SODOCUMENT",
            {"DOCPARID": "Sales Order", "WHENCREATED": "2025-05-01"},
            "CUSTVENDID",
        ),
    ],
)
def test_required_fields(ctx, obj, fields, missing):
    if obj == "GLBATCH":
        fields["ENTRIES"] = [dr("1"), cr("1")]
    if obj == "SODOCUMENT":
        fields["SODOCUMENTENTRIES"] = [{"ITEMID": "SKU-1001", "QUANTITY": "1"}]
    with pytest.raises(errors.ValidationFailed) as raised:
        rules.create(ctx, obj, fields)
    assert raised.value.field == missing
    assert raised.value.errors[-1].errorno == "BL01001973"


@pytest.mark.parametrize(
    ("obj", "fields", "field"),
    [
        ("ARINVOICE", invoice(CUSTOMERID="NOBODY"), "CUSTOMERID"),
        ("ARINVOICE", invoice(TERMNAME="N999"), "TERMNAME"),
        ("ARINVOICE", invoice(line={"ACCOUNTNO": "9999"}), "ACCOUNTNO"),
        ("ARINVOICE", invoice(line={"LOCATIONID": "999"}), "LOCATIONID"),
        ("ARINVOICE", invoice(line={"DEPARTMENTID": "NOPE"}), "DEPARTMENTID"),
        ("ARINVOICE", invoice(line={"CLASSID": "NOPE"}), "CLASSID"),
        ("ARINVOICE", invoice(line={"ITEMID": "NOPE"}), "ITEMID"),
        ("ARINVOICE", invoice(line={"WAREHOUSEID": "NOPE"}), "WAREHOUSEID"),
        ("ARINVOICE", invoice(line={"GLDIMCHANNEL": "NOPE"}), "GLDIMCHANNEL"),
        ("GLBATCH", journal(dr("5"), cr("5", LOCATION="999")), "LOCATION"),
        ("GLBATCH", journal(dr("5"), cr("5"), JOURNAL="XX"), "JOURNAL"),
        ("CUSTOMER", {"CUSTOMERID": "C", "NAME": "n", "TERMNAME": "bad"}, "TERMNAME"),
        (
            "WAREHOUSE",
            {"WAREHOUSEID": "W", "NAME": "n", "LOCATIONID": "999"},
            "LOCATIONID",
        ),
    ],
)
def test_unknown_references_are_rejected(ctx, obj, fields, field):
    with pytest.raises(errors.ValidationFailed) as raised:
        rules.create(ctx, obj, fields)
    assert raised.value.field == field
    assert "Invalid" in raised.value.errors[0].description2


def test_inactive_reference_is_rejected(ctx):
    rules.update(ctx, "CUSTOMER", {"CUSTOMERID": "WEB-GUEST", "STATUS": "inactive"})
    with pytest.raises(errors.ValidationFailed):
        rules.create(ctx, "ARINVOICE", invoice())


def test_duplicate_ids_use_intacct_error_numbers(ctx, sandbox, creds):
    rules.create(ctx, "CLASS", {"CLASSID": "UT01", "NAME": "a"})
    with pytest.raises(errors.DuplicateValue) as raised:
        rules.create(ctx, "CLASS", {"CLASSID": "UT01", "NAME": "b"})
    first, trailer = raised.value.errors
    assert first.errorno == "BL34000061"
    assert (
        first.description2
        == "Another Class with the given value(s) UT01  already exists"
    )
    assert first.correction == "Use a unique value instead."
    assert (trailer.errorno, trailer.description2) == (
        "BL01001973",
        "Could not create class record!",
    )
    assert sandbox.counts()["_rejected_duplicates"][creds["company_id"]] == 1


def test_journal_must_balance(ctx):
    with pytest.raises(errors.ValidationFailed) as raised:
        rules.create(ctx, "GLBATCH", journal(dr("100.00"), cr("99.99")))
    assert "Debits (100.00) and credits (99.99)" in raised.value.message
    row = rules.create(ctx, "GLBATCH", journal(dr("0.005"), cr("0.01")))
    assert [e["TRX_AMOUNT"] for e in row["ENTRIES"]] == ["0.01", "0.01"]


def test_closed_period_is_refused(ctx, sandbox):
    with pytest.raises(errors.ValidationFailed) as raised:
        rules.create(ctx, "GLBATCH", journal(dr("1"), cr("1"), BATCH_DATE="12/31/2020"))
    assert raised.value.field == "BATCH_DATE"
    assert "closed" in raised.value.message
    rules.create(ctx, "GLBATCH", journal(dr("1"), cr("1"), BATCH_DATE="01/01/2021"))

    sandbox.set_closed_through("2025-05-31")
    closed_ctx = sandbox.context(user_id=ctx.user.user_id)
    with pytest.raises(errors.ValidationFailed):
        rules.create(closed_ctx, "ARINVOICE", invoice())
    sandbox.set_closed_through(None)
    rules.create(sandbox.context(user_id=ctx.user.user_id), "ARINVOICE", invoice())


def test_sales_order_is_not_a_posting(ctx, sandbox):
    sandbox.set_closed_through("2030-01-01")
    open_ctx = sandbox.context(user_id=ctx.user.user_id)
    order = {
        "DOCPARID": "Sales Order",
        "CUSTVENDID": "WEB-GUEST",
        "WHENCREATED": "2025-05-01",
        "SODOCUMENTENTRIES": [
            {"ITEMID": "SKU-1002", "QUANTITY": "3", "PRICE": "19.999"}
        ],
    }
    row = rules.create(open_ctx, "SODOCUMENT", order)
    assert (row["TOTAL"], row["DOCID"]) == ("60.00", f"Sales Order-{row['DOCNO']}")
    with pytest.raises(errors.ValidationFailed):
        rules.create(open_ctx, "SODOCUMENT", {**order, "DOCPARID": "Sales Invoice"})


def test_amounts_round_half_up_to_cents(ctx):
    row = rules.create(ctx, "ARINVOICE", invoice(line={"AMOUNT": "2.675"}))
    assert row["ARINVOICEITEMS"][0]["AMOUNT"] == "2.68"
    assert row["TOTALENTERED"] == row["TOTALDUE"] == "2.68"
    with pytest.raises(errors.ValidationFailed):
        rules.create(ctx, "ARINVOICE", invoice(line={"AMOUNT": "ten"}))


def test_permission_error(sandbox, creds):
    sandbox.revoke_permission(creds["user_id"], "GLBATCH", "create")
    ctx = sandbox.context(user_id=creds["user_id"])
    with pytest.raises(errors.PermissionDenied) as raised:
        rules.create(ctx, "GLBATCH", journal(dr("1"), cr("1")))
    assert raised.value.message.startswith("You do not have permission for API")
    rules.query(ctx, "GLBATCH")  # reading is still allowed
    sandbox.revoke_permission(creds["user_id"], "CUSTOMER")
    with pytest.raises(errors.PermissionDenied):
        rules.query(sandbox.context(user_id=creds["user_id"]), "CUSTOMER")


def test_delete_refuses_a_customer_in_use(ctx):
    rules.create(ctx, "ARINVOICE", invoice())
    guest = ctx.store.get_by_id(ctx.company_id, "CUSTOMER", "WEB-GUEST")
    with pytest.raises(errors.ValidationFailed):
        rules.delete(ctx, "CUSTOMER", guest["RECORDNO"])


def test_update_cannot_touch_a_closed_period_or_change_the_id(ctx, sandbox):
    row = rules.create(ctx, "CUSTOMER", {"CUSTOMERID": "K1", "NAME": "k"})
    with pytest.raises(errors.ValidationFailed):
        rules.update(ctx, "CUSTOMER", {"RECORDNO": row["RECORDNO"], "CUSTOMERID": "K2"})
    entry = rules.create(
        ctx, "GLBATCH", journal(dr("1"), cr("1"), BATCH_DATE="06/01/2025")
    )
    sandbox.set_closed_through("2025-06-30")
    later = sandbox.context(user_id=ctx.user.user_id)
    with pytest.raises(errors.ValidationFailed):
        rules.update(
            later, "GLBATCH", {"RECORDNO": entry["RECORDNO"], "BATCH_TITLE": "x"}
        )


def test_line_location_required_in_multi_entity_company(sandbox, creds):
    sandbox.update_company(line_location_required=True)
    ctx = sandbox.context(user_id=creds["user_id"])
    with pytest.raises(errors.ValidationFailed):
        rules.create(ctx, "ARINVOICE", invoice())
    rules.create(ctx, "ARINVOICE", invoice(line={"LOCATIONID": "110"}))


def test_payment_updates_the_invoice(ctx, sandbox):
    row = rules.create(ctx, "ARINVOICE", invoice(line={"AMOUNT": "100"}))
    rules.apply_payment(sandbox.context(), row["RECORDNO"], "40")
    partly = ctx.store.get(ctx.company_id, "ARINVOICE", row["RECORDNO"])
    assert (partly["STATE"], partly["TOTALDUE"]) == ("Partially Paid", "60.00")
    payments, total = rules.query(ctx, "ARPYMT")
    assert total == 1 and payments[0]["TOTALENTERED"] == "40.00"
    with pytest.raises(errors.ValidationFailed):
        rules.create(ctx, "ARPYMT", {"CUSTOMERID": "WEB-GUEST"})


def test_billing_counts_one_per_object_and_query(ctx, sandbox, creds):
    before = sandbox.counts()["_billed"].get(creds["company_id"], 0)
    rules.create(ctx, "CUSTOMER", {"CUSTOMERID": "B1", "NAME": "b"})
    rules.query(ctx, "CUSTOMER", limit=1)
    with pytest.raises(errors.ValidationFailed):
        rules.create(ctx, "CUSTOMER", {"CUSTOMERID": "B2"})  # failures are not billed
    assert sandbox.counts()["_billed"][creds["company_id"]] == before + 2
