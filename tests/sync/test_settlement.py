"""Settling a request's answers: confirmed writes of one batch settle together in a
few statements; a lost lease or a binding collision falls back to one posting at a
time, and nothing is posted, recorded or bound twice."""

import httpx
import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from sync.models import ExternalRef, Posting, PostingAttempt, SyncRun
from sync.services.execution import postings_execute
from sync.services.runs import connection_plan, sync_once
from tests.sync.conftest import a_customer, store

pytestmark = pytest.mark.django_db(transaction=True)

S = Posting.Status


class BeforeFirstWrite(httpx.BaseTransport):
    """Runs ``hook()`` once, just before the first write reaches the sandbox."""

    def __init__(self, inner, hook):
        self.inner, self.hook = inner, hook

    def handle_request(self, request):
        if request.method in ("POST", "PATCH") and self.hook:
            hook, self.hook = self.hook, None
            hook()
        return self.inner.handle_request(request)


def customers_in_intacct(sandbox):
    company = next(c for c in sandbox.counts() if not c.startswith("_"))
    return sandbox.counts()[company].get("CUSTOMER", 0)


def settle_pass(connection, transport, customers, run):
    """Plan ``customers`` new customers and send them in one pass; returns the pass's
    report and the statements it ran."""
    start = Posting.objects.count()
    store(connection, *[a_customer(f"C-{start + n}") for n in range(customers)])
    connection_plan(connection=connection, run=run)
    with CaptureQueriesContext(db) as queries:
        report = postings_execute(connection_id=connection.pk, http_transport=transport)
    return report, len(queries)


def test_a_batch_of_confirmed_writes_settles_together(connection, sandbox, transport):
    before = customers_in_intacct(sandbox)
    run = SyncRun.objects.create(connection=connection, kind="incremental")
    small, small_cost = settle_pass(connection, transport, 5, run)
    large, large_cost = settle_pass(connection, transport, 45, run)

    assert (small.posted, large.posted) == (5, 45)
    assert customers_in_intacct(sandbox) == before + 50
    postings = Posting.objects.filter(connection=connection).select_related(
        "source_record"
    )
    assert {p.status for p in postings} == {S.POSTED}
    for posting in postings:
        attempts = list(posting.attempts.all())
        assert [(a.number, a.outcome) for a in attempts] == [(1, "posted")]
        assert attempts[0].request_excerpt and attempts[0].duration_ms >= 0
        binding = ExternalRef.objects.get(
            connection=connection, external_id=posting.source_record.external_id
        )
        assert (binding.intacct_key, binding.intacct_id) == (
            posting.result_key,
            posting.result_id,
        )
    run.refresh_from_db()
    assert run.posted == 50
    # Settling one posting at a time cost about nine statements each; together,
    # 40 more postings in the pass cost (almost) nothing more.
    assert large_cost - small_cost < 10, (small_cost, large_cost)


def test_a_lease_lost_mid_request_settles_each_posting_on_its_own(
    connection, sandbox, transport
):
    before = customers_in_intacct(sandbox)
    store(connection, *[a_customer(f"C-{n}") for n in range(3)])
    connection_plan(connection=connection)
    taken = Posting.objects.order_by("pk").first()

    def another_pass_takes_one_over():
        Posting.objects.filter(pk=taken.pk).update(leased_by="B:other")

    report = postings_execute(
        connection_id=connection.pk,
        worker="A",
        http_transport=BeforeFirstWrite(transport, another_pass_takes_one_over),
    )

    assert report.posted == 2  # the two this pass still held
    assert customers_in_intacct(sandbox) == before + 3
    # Intacct confirmed the taken one's write too: that is news worth recording.
    assert set(Posting.objects.values_list("status", flat=True)) == {S.POSTED}
    assert PostingAttempt.objects.count() == 3
    assert ExternalRef.objects.filter(connection=connection).count() == 3


def test_two_versions_of_one_customer_in_one_request_bind_once(
    connection, sandbox, transport
):
    before = customers_in_intacct(sandbox)
    store(connection, a_customer("C-1", first_name="Ada"))
    connection_plan(connection=connection)
    store(connection, a_customer("C-1", first_name="Grace"))
    connection_plan(connection=connection)
    assert Posting.objects.filter(status=S.PENDING).count() == 2

    report = postings_execute(connection_id=connection.pk, http_transport=transport)

    assert report.posted == 2 and customers_in_intacct(sandbox) == before + 1
    binding = ExternalRef.objects.get(connection=connection, external_id="C-1")
    newest = Posting.objects.get(source_record__version=2)
    assert binding.intacct_key == newest.result_key


def test_a_binding_collision_keeps_the_first_and_posts_the_rest(
    connection, sandbox, transport
):
    """Two storefront customers that name one Intacct customer (same customer id in
    the mapped payload): the second binding is refused, nothing else is lost."""
    before = customers_in_intacct(sandbox)
    store(connection, a_customer("C-1"), a_customer("C-2"), a_customer("C-3"))
    connection_plan(connection=connection)
    first, second, third = Posting.objects.order_by("pk")
    second.payload = {**second.payload, "customer_id": first.payload["customer_id"]}
    second.save(update_fields=["payload"])

    sync_once(connection=connection, http_transport=transport)

    assert set(Posting.objects.values_list("status", flat=True)) == {S.POSTED}
    assert customers_in_intacct(sandbox) == before + 2
    bound = dict(
        ExternalRef.objects.filter(connection=connection).values_list(
            "external_id", "intacct_key"
        )
    )
    shared = Posting.objects.get(pk=first.pk).result_key
    assert Posting.objects.get(pk=second.pk).result_key == shared
    assert len(bound) == 2 and "C-3" in bound  # C-1 or C-2, whichever settled first
    assert shared in bound.values()
