"""The pipeline end to end against the sandbox: plan, post, and post exactly once."""

import pytest
from django.core.management import CommandError, call_command

from sync.models import ExternalRef, Failure, Posting, PostingAttempt
from sync.services.runs import sync_once
from tests.sync.conftest import a_customer, an_order, store

pytestmark = pytest.mark.django_db(transaction=True)

S = Posting.Status


def intacct_count(sandbox, obj):
    company = next(c for c in sandbox.counts() if not c.startswith("_"))
    return sandbox.counts()[company].get(obj, 0)


def test_a_paid_order_becomes_one_customer_and_one_invoice(
    connection, sandbox, transport
):
    customers_before = intacct_count(sandbox, "CUSTOMER")
    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))

    run = sync_once(connection=connection, http_transport=transport)

    assert run.posted == 2 and run.failed == 0
    assert intacct_count(sandbox, "CUSTOMER") == customers_before + 1
    assert intacct_count(sandbox, "ARINVOICE") == 1
    invoice = Posting.objects.get(action="post_ar_invoice")
    assert invoice.status == S.POSTED and invoice.result_id == "SO-O-1"
    assert ExternalRef.objects.filter(
        intacct_object="ARINVOICE", external_id="O-1"
    ).exists()


def test_running_again_posts_nothing_twice(connection, sandbox, transport):
    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))
    sync_once(connection=connection, http_transport=transport)
    before = sandbox.counts()
    again = sync_once(connection=connection, http_transport=transport)
    assert again.planned == 0 and again.posted == 0
    after = sandbox.counts()
    company = next(c for c in before if not c.startswith("_"))
    assert after[company] == before[company]


def test_an_unpaid_order_waits_for_its_finality_event(connection, sandbox, transport):
    store(connection, an_order("O-2", financial_status="pending"))
    sync_once(connection=connection, http_transport=transport)
    assert intacct_count(sandbox, "ARINVOICE") == 0
    assert not Posting.objects.filter(action="post_ar_invoice").exists()


def test_a_customer_only_embedded_in_the_order_is_derived_and_posted_first(
    connection, sandbox, transport
):
    store(
        connection,
        an_order(
            "O-3",
            customer={
                "id": "C-9",
                "email": "c9@x.example",
                "first_name": "Cy",
                "last_name": "N",
            },
        ),
    )
    sync_once(connection=connection, http_transport=transport)
    customer = Posting.objects.get(action="upsert_customer")
    invoice = Posting.objects.get(action="post_ar_invoice")
    assert invoice.depends_on == customer
    assert customer.status == invoice.status == S.POSTED


def test_commit_then_drop_is_verified_and_linked_not_posted_twice(
    connection, sandbox, transport
):
    connection.routing = {"upsert_customer": "xml", "post_ar_invoice": "xml"}
    connection.save()
    store(connection, a_customer("C-1"))
    sync_once(connection=connection, http_transport=transport)  # has a session now
    store(connection, an_order("O-1", customer={"id": "C-1"}))
    sandbox.drop_after_commit(count=1, api="xml")
    sync_once(connection=connection, http_transport=transport)
    assert intacct_count(sandbox, "ARINVOICE") == 1
    assert set(Posting.objects.values_list("status", flat=True)) == {S.POSTED}
    outcomes = set(Posting.objects.values_list("attempts__outcome", flat=True))
    assert "unknown" in outcomes


def test_an_intacct_business_error_lands_in_the_queue_with_its_words(
    connection, sandbox, transport
):
    connection.mapping_set.field_mappings.filter(target_field="gl_account").update(
        transform="default:9999"
    )
    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))
    sync_once(connection=connection, http_transport=transport)
    failure = Failure.objects.get(posting__action="post_ar_invoice")
    assert failure.category == "business"
    assert failure.errorno == "BL01001973"
    assert "9999" in failure.description2 + failure.message
    assert intacct_count(sandbox, "ARINVOICE") == 0


def test_refused_credentials_pause_the_connection_instead_of_failing_postings(
    connection, sandbox, transport
):
    connection.user_password = "wrong"
    connection.sender_password = "wrong"
    connection.oauth_client_secret = "wrong"
    connection.save()
    store(connection, a_customer("C-1"))
    sync_once(connection=connection, http_transport=transport)
    connection.refresh_from_db()
    assert connection.paused_at is not None
    assert "refused" in connection.pause_reason
    assert not Failure.objects.exists()
    assert Posting.objects.get().status == S.PENDING


def test_stored_attempts_show_the_exchange_but_no_secret(
    connection, sandbox, transport
):
    connection.routing = {"upsert_customer": "xml"}
    connection.save()
    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))
    sync_once(connection=connection, http_transport=transport)
    attempts = list(PostingAttempt.objects.all())
    assert attempts and all(a.request_excerpt and a.response_excerpt for a in attempts)
    assert {a.protocol for a in attempts} == {"xml", "rest"}
    stored = "".join(a.request_excerpt + a.response_excerpt for a in attempts)
    for secret in connection.secret_values():
        assert secret not in stored
    assert "<password>***</password>" in stored  # masked, not dropped
    assert "<sessionid>***</sessionid>" in stored


def test_a_refund_waiting_on_a_superseded_invoice_follows_the_new_version(
    connection, sandbox, transport
):
    from commerce.records import NormalizedRecord
    from sync.services.plan_context import context_for
    from sync.services.planning import record_plan

    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))
    ctx = context_for(connection)
    order_v1 = connection.sources.get().records.get(kind="order")
    record_plan(ctx=ctx, record=order_v1)
    first_invoice = Posting.objects.get(action="post_ar_invoice")
    refund = Posting.objects.create(
        connection=connection,
        action="post_credit_memo",
        idempotency_key="r" * 32,
        depends_on=first_invoice,
    )
    order = an_order(
        "O-1", customer={"id": "C-1"}, updated_at="2024-06-02T10:00:00Z", note="edited"
    )
    store(connection, NormalizedRecord("order", "O-1", order.data))
    order_v2 = connection.sources.get().records.get(kind="order", version=2)
    record_plan(ctx=context_for(connection), record=order_v2)
    first_invoice.refresh_from_db()
    refund.refresh_from_db()
    assert first_invoice.status == S.SKIPPED
    assert refund.depends_on.source_record == order_v2


def test_a_429_storm_never_sends_a_posting_to_the_failure_queue(
    connection, sandbox, transport
):
    from django.utils import timezone

    from sync.retry import MAX_ATTEMPTS
    from sync.services.execution import postings_execute
    from sync.services.runs import connection_plan

    store(connection, a_customer("C-1"))
    connection_plan(connection=connection)
    sandbox.set_rate_limit(per_minute=0)  # every request answered 429
    for _ in range(MAX_ATTEMPTS + 2):
        Posting.objects.update(next_attempt_at=timezone.now())
        postings_execute(  # the client gives up at once instead of waiting
            connection_id=connection.pk,
            http_transport=transport,
            max_retries=0,
            retry_after_cap=0,
        )
    customer = Posting.objects.get()
    assert customer.status == S.PENDING and not Failure.objects.exists()
    assert customer.attempt_count == MAX_ATTEMPTS + 2
    assert set(customer.attempts.values_list("outcome", flat=True)) == {"throttled"}

    sandbox.set_rate_limit(per_minute=None)
    Posting.objects.update(next_attempt_at=timezone.now())
    postings_execute(connection_id=connection.pk, http_transport=transport)
    customer.refresh_from_db()
    assert customer.status == S.POSTED and customer.result_key


def test_sync_once_command_refuses_fewer_than_one_worker():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("sync_once", workers=0)
