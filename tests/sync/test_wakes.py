"""Wake-ups coalesce: a stored batch of records queues one planning task, and a
burst of stored records one executor task per connection, not one per record; the
task forgets its wake as it starts, so work that arrives meanwhile wakes the next
one; a wake whose task the broker lost queues again once it is stale (see
sync/wakes.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from sandbox import make_app
from sandbox.server import serve_in_thread
from sync import tasks
from sync.models import Posting, TaskWake
from sync.services.runs import connection_plan
from sync.wakes import wake
from tests.sync.conftest import a_customer, an_order, store

pytestmark = pytest.mark.django_db

EXECUTE = "sync.tasks.execute_connection"


def queued(func):
    return [
        task
        for task in (SignedPackage.loads(row.payload) for row in OrmQ.objects.all())
        if task["func"] == func
    ]


def test_a_burst_of_records_queues_one_executor_task(connection):
    records = store(
        connection, a_customer("C-1"), *(an_order(f"O-{n}") for n in range(12))
    )
    for record in records:
        tasks.plan_record(record.record_id)

    [task] = queued(EXECUTE)
    assert task["args"] == (connection.pk,)


def test_a_stored_batch_queues_one_planning_task_that_plans_it_all(
    connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        store(connection, a_customer("C-1"), *(an_order(f"O-{n}") for n in range(12)))

    [task] = queued(tasks.PLAN_RECORDS)
    [record_ids] = task["args"]
    assert len(record_ids) == 13
    tasks.plan_records(record_ids)

    planned = Posting.objects.filter(connection=connection)
    assert planned.filter(action="post_ar_invoice").count() == 12
    assert planned.filter(action="upsert_customer").count() == 1
    [execute] = queued(EXECUTE)
    assert execute["args"] == (connection.pk,)


def test_a_wake_after_the_task_started_queues_the_next(connection, transport):
    assert wake(EXECUTE, connection.pk) is True
    assert wake(EXECUTE, connection.pk) is False
    OrmQ.objects.all().delete()  # the worker took it

    tasks.execute_connection(connection.pk)  # forgets its wake first
    assert not TaskWake.objects.exists()

    assert wake(EXECUTE, connection.pk) is True
    assert len(queued(EXECUTE)) == 1


@pytest.fixture
def loopback(connection, sandbox):
    """The connection pointed at the sandbox served on loopback (tasks take no
    transport: they reach Intacct as in production)."""
    server, url = serve_in_thread(make_app(sandbox))
    connection.api_base_url = url
    connection.save(update_fields=["api_base_url"])
    yield connection
    server.shutdown()


def execute_five_customers(connection):
    """Five customers planned, the queue emptied, then one executor task run."""
    store(connection, *(a_customer(f"C-{n}") for n in range(5)))
    connection_plan(connection=connection)
    OrmQ.objects.all().delete()
    tasks.execute_connection(connection.pk)


def test_a_pass_that_claims_its_limit_wakes_a_peer_to_share_the_backlog(
    loopback, settings
):
    settings.SYNC_CLAIM_LIMIT = 2
    execute_five_customers(loopback)

    assert set(Posting.objects.values_list("status", flat=True)) == {"posted"}
    [task] = queued(EXECUTE)  # full passes woke a peer (one, as wakes coalesce)
    assert task["args"] == (loopback.pk,)


def test_a_pass_that_drains_the_backlog_wakes_no_one(loopback, settings):
    settings.SYNC_CLAIM_LIMIT = 10
    execute_five_customers(loopback)

    assert set(Posting.objects.values_list("status", flat=True)) == {"posted"}
    assert not queued(EXECUTE)


def test_a_wake_whose_task_was_lost_queues_again_once_stale(connection, settings):
    wake(EXECUTE, connection.pk)
    OrmQ.objects.all().delete()  # lost with a killed cluster
    assert wake(EXECUTE, connection.pk) is False

    TaskWake.objects.update(
        queued_at=timezone.now() - timedelta(seconds=settings.Q_CLUSTER["retry"] + 1)
    )
    assert wake(EXECUTE, connection.pk) is True
    assert len(queued(EXECUTE)) == 1


def test_the_dispatcher_wakes_each_connection_once_however_often_it_runs(connection):
    store(connection, a_customer("C-9"))  # unplanned: no plan_record task ran
    for _ in range(5):
        tasks.dispatch_due()

    assert len(queued("sync.tasks.plan_connection")) == 1
