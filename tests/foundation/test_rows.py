"""The hot paths' own INSERTs (intacct_hub/rows.py) store what Model.save() and
bulk_create would, return ids in order, and never store part of a batch."""

import pytest
from django.db import IntegrityError

from commerce.models import InboundDelivery
from intacct_hub.rows import row_insert, rows_insert
from tests.factories import make_source

pytestmark = pytest.mark.django_db(transaction=True)


def delivery(source, delivery_id, **fields):
    return InboundDelivery(
        source=source,
        delivery_id=delivery_id,
        topic="orders/paid",
        headers={"topic": "orders/paid"},
        body='{"id": 1}',
        **fields,
    )


def test_many_rows_get_their_ids_in_order_and_store_every_field():
    source = make_source()
    rows = [delivery(source, f"d-{n}", attempts=n) for n in range(250)]

    rows_insert(rows)

    stored = {d.pk: d for d in InboundDelivery.objects.filter(source=source)}
    assert len(stored) == 250
    for row in rows:
        again = stored[row.pk]
        assert (again.delivery_id, again.attempts) == (row.delivery_id, row.attempts)
        assert again.headers == {"topic": "orders/paid"} and again.received_at


def test_a_batch_with_one_refused_row_stores_none_of_it():
    source = make_source()
    row_insert(delivery(source, "taken"))
    # Past the first statement's worth of rows on SQLite (its parameter limit).
    batch = [delivery(source, f"new-{n}") for n in range(300)]
    batch.append(delivery(source, "taken"))

    with pytest.raises(IntegrityError):
        rows_insert(batch)

    assert InboundDelivery.objects.filter(source=source).count() == 1


def test_a_row_already_there_is_left_as_it_is():
    source = make_source()
    first = delivery(source, "once", attempts=1)
    assert row_insert(first, unique=("source_id", "delivery_id"))

    again = delivery(source, "once", attempts=7)
    assert not row_insert(again, unique=("source_id", "delivery_id"))

    assert again.pk is None
    assert InboundDelivery.objects.get(delivery_id="once").attempts == 1
