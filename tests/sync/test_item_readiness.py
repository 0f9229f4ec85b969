"""A document naming an item waits while that item's own posting is still on its
way: sent before it, Intacct would refuse the document ("Invalid Item") and a
person would have to retry what only needed a moment's patience."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sync.models import AuditEvent, Failure, Posting
from sync.services.execution import postings_execute
from tests.factories import make_posting, make_record

pytestmark = pytest.mark.django_db(transaction=True)

S = Posting.Status


def invoice_naming(connection, sku):
    return make_posting(
        connection=connection,
        record=make_record(kind="order"),
        action="post_ar_invoice",
        payload={
            "customer_id": "WEB-GUEST",
            "date": "2026-11-02",
            "invoice_number": f"INV-{sku}",
            "lines": [
                {"gl_account": "4000", "amount": "12.00", "dimensions.item": sku}
            ],
        },
    )


def test_an_invoice_waits_for_the_item_it_names(connection, sandbox, transport):
    item = make_posting(
        connection=connection,
        record=make_record(kind="product"),
        action="upsert_item",
        payload={
            "item_id": "SKU-NEW",
            "name": "New thing",
            "item_type": "nonInventory",
        },
        next_attempt_at=timezone.now() + timedelta(hours=1),  # retrying later
    )
    invoice = invoice_naming(connection, "SKU-NEW")

    report = postings_execute(connection_id=connection.pk, http_transport=transport)

    invoice.refresh_from_db()
    assert report.claimed == 0
    assert invoice.status == S.PENDING and invoice.attempt_count == 0
    assert not invoice.attempts.exists()

    Posting.objects.update(next_attempt_at=timezone.now())
    for _ in range(3):
        postings_execute(connection_id=connection.pk, http_transport=transport)
        Posting.objects.filter(status=S.PENDING).update(next_attempt_at=timezone.now())
    item.refresh_from_db()
    invoice.refresh_from_db()
    assert item.status == S.POSTED
    assert invoice.status == S.POSTED, list(Failure.objects.values("message"))


def test_an_item_that_failed_does_not_hold_the_invoice_forever(
    connection, sandbox, transport
):
    make_posting(
        connection=connection,
        record=make_record(kind="product"),
        action="upsert_item",
        payload={"item_id": "SKU-GONE", "name": "Gone"},
        status=S.FAILED,
    )
    invoice = invoice_naming(connection, "SKU-GONE")
    postings_execute(connection_id=connection.pk, http_transport=transport)
    invoice.refresh_from_db()
    assert invoice.status == S.FAILED  # Intacct's own refusal, in the queue
    failure = Failure.objects.get(posting=invoice)
    assert "SKU-GONE" in failure.message + failure.description2


def run_until_quiet(connection, transport):
    for _ in range(4):
        Posting.objects.filter(status=S.PENDING).update(next_attempt_at=timezone.now())
        postings_execute(connection_id=connection.pk, http_transport=transport)


def test_an_invoice_refused_for_an_item_not_yet_known_is_retried_once_it_posts(
    connection, sandbox, transport
):
    # The order got here first: its product's webhook (or the delivery's redispatch
    # after an outage) comes later, so no item posting existed to wait for.
    invoice = invoice_naming(connection, "SKU-LATE")
    other = invoice_naming(connection, "SKU-OTHER")  # refused too, for another item
    run_until_quiet(connection, transport)
    failure = Failure.objects.get(posting=invoice)
    assert invoice.attempts.count() == 1 and "SKU-LATE" in failure.message

    item = make_posting(
        connection=connection,
        record=make_record(kind="product"),
        action="upsert_item",
        payload={"item_id": "SKU-LATE", "name": "Late", "item_type": "nonInventory"},
    )
    run_until_quiet(connection, transport)

    item.refresh_from_db()
    invoice.refresh_from_db()
    failure.refresh_from_db()
    assert item.status == S.POSTED
    assert invoice.status == S.POSTED and invoice.attempts.count() == 2
    assert failure.resolution == Failure.Resolution.RETRIED
    assert "SKU-LATE" in failure.resolution_note
    event = AuditEvent.objects.get(failure=failure)
    assert event.action == AuditEvent.Action.AUTO_RESOLVED
    assert event.details["item_posting"] == item.pk
    # The invoice waiting on an item that never came stays in front of a person.
    other.refresh_from_db()
    assert other.status == S.FAILED
    assert Failure.objects.get(posting=other).resolved_at is None
