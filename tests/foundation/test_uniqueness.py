"""The database itself enforces identity, on SQLite and on PostgreSQL."""

import pytest
from django.db import IntegrityError, transaction

from commerce.models import SourceRecord, content_hash
from sync.models import ExternalRef
from tests.factories import make_connection, make_record, make_source

pytestmark = pytest.mark.django_db


def test_a_source_record_with_the_same_content_is_stored_once():
    record = make_record(payload={"total": "10.00"})
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceRecord.objects.create(
            source=record.source,
            kind=record.kind,
            external_id=record.external_id,
            payload={"total": "10.00"},
            content_hash=content_hash({"total": "10.00"}),
            version=2,
        )


def test_a_version_number_is_used_once_per_record():
    record = make_record(payload={"total": "10.00"})
    with pytest.raises(IntegrityError), transaction.atomic():
        make_record(
            source=record.source,
            kind=record.kind,
            external_id=record.external_id,
            payload={"total": "12.00"},
            version=record.version,
        )


def test_changed_content_is_a_new_version():
    record = make_record(payload={"total": "10.00"})
    make_record(
        source=record.source,
        kind=record.kind,
        external_id=record.external_id,
        payload={"total": "12.00"},
        version=2,
    )
    assert SourceRecord.objects.filter(external_id=record.external_id).count() == 2


def test_content_hash_ignores_key_order():
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})


def ref(**fields):
    return ExternalRef.objects.create(intacct_object="CUSTOMER", **fields)


def test_an_external_ref_is_unique_on_the_source_side():
    conn, source = make_connection(), make_source()
    ref(
        connection=conn,
        source=source,
        source_kind="customer",
        external_id="C1",
        intacct_key="1",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ref(
            connection=conn,
            source=source,
            source_kind="customer",
            external_id="C1",
            intacct_key="2",
        )


def test_an_external_ref_is_unique_on_the_intacct_side():
    conn, source = make_connection(), make_source()
    ref(
        connection=conn,
        source=source,
        source_kind="customer",
        external_id="C1",
        intacct_key="1",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ref(
            connection=conn,
            source=source,
            source_kind="customer",
            external_id="C2",
            intacct_key="1",
        )


def test_the_same_ids_in_another_connection_are_independent():
    source = make_source()
    for conn in (make_connection(), make_connection()):
        ref(
            connection=conn,
            source=source,
            source_kind="customer",
            external_id="C1",
            intacct_key="1",
        )
    assert ExternalRef.objects.count() == 2
