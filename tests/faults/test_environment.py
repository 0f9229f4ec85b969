"""Faults of the world around the hub, with real qcluster workers and a loopback
sandbox: PostgreSQL restarting under the workers, and the Intacct user losing its
permission on invoices mid-run. Each run ends with zero duplicates, zero missing,
and every posting final (see docs/RELIABILITY.md)."""

import pytest
from django.db import connection as db

from mappings.models import Action
from sandbox import demo_credentials
from sync.models import Connection, Failure, Posting, PostingAttempt
from sync.services.failures import failures_bulk
from tests.factories import make_user
from tests.faults.conftest import (
    assert_exactly_once,
    connection_to,
    demo_traffic,
)
from tests.faults.matrix import Outage, settle, wait_until_quiet
from tests.sync.demo_expectations import expected_detail_run

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 150
S = Posting.Status


def test_permission_revoked_mid_run_fails_as_permission_and_a_bulk_retry_recovers(
    sandbox, serve, clusters
):
    credentials = demo_credentials()
    user_id, company = credentials["user_id"], credentials["company_id"]
    revoked = []

    def revoke_once_twenty_invoices_landed(n):
        if not revoked and sandbox.store.counts()[company].get("ARINVOICE", 0) >= 20:
            revoked.append(n)
            sandbox.revoke_permission(user_id, "ARINVOICE")

    connection = connection_to(serve(on_request=revoke_once_twenty_invoices_landed))
    clusters()
    demo_traffic(ORDERS)
    wait_until_quiet(connection)
    assert revoked, "the permission was never revoked"

    invoices = Posting.objects.filter(
        connection=connection, action=Action.POST_AR_INVOICE
    )
    assert invoices.filter(status=S.POSTED).exists(), "revoked before any invoice"
    assert invoices.filter(status=S.FAILED).exists()
    open_failures = Failure.objects.filter(
        posting__connection=connection, resolved_at=None
    ).select_related("posting__source_record")
    refused = open_failures.filter(category=Failure.Category.PERMISSION)
    assert refused.exists()
    for failure in refused:
        # Intacct's own words reach the queue, and the posting stopped at its first
        # refusal: a permission is not transient, and not a login problem either.
        assert "You do not have permission" in failure.message + failure.description2
        refusals = failure.posting.attempts.filter(
            outcome=PostingAttempt.Outcome.PERMANENT_ERROR
        )
        assert refusals.count() == 1
        assert failure.posting.attempts.order_by("number").last() == refusals.get()
    # The only other failures are the demo's invoices naming an unknown item.
    unknown_sku = expected_detail_run().unknown_sku
    for failure in open_failures.exclude(category=Failure.Category.PERMISSION):
        assert failure.category == Failure.Category.BUSINESS
        assert failure.posting.source_record.external_id in unknown_sku
    assert Connection.objects.get(pk=connection.pk).paused_at is None

    sandbox.grant_permission(user_id, "ARINVOICE")
    done, not_done = failures_bulk(
        failures=list(refused), user=make_user(), action="retry"
    )
    assert not_done == {} and done > 0
    settle(connection)
    assert_exactly_once(sandbox, connection)
    assert not refused.all().exists(), "a permission failure is still open"


@pytest.mark.skipif(
    db.vendor != "postgresql",
    reason="needs PostgreSQL (a restart is simulated by refusing and cutting the "
    "test database's connections); CI runs the fault matrix on PostgreSQL too",
)
def test_postgresql_restart_mid_run_is_recovered_without_duplicates(
    sandbox, serve, clusters
):
    sandbox.set_latency(40)  # a run long enough to be cut in the middle
    outage = Outage(seconds=5)

    def go_down_at_the_fortieth_write(first, last):
        if last >= 40:
            outage.start()

    connection = connection_to(serve(on_write=go_down_at_the_fortieth_write))
    clusters()
    demo_traffic(ORDERS)
    outage.join()
    assert outage.cut > 0, "no worker connection was cut"
    settle(connection, timeout=240)
    assert_exactly_once(sandbox, connection)
