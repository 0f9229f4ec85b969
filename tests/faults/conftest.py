"""Real worker processes against a real (loopback) sandbox, fed the demo shop's
webhooks and posting with the shipped default rules.

A django-q2 cluster runs as a subprocess on the ORM broker against the test
database; the sandbox serves over loopback from this process, so the test can
inject faults through its controls and count what "Intacct" holds. A small WSGI
middleware arms the sandbox's own fault controls on a schedule (every Nth write,
every Nth request), which makes the fault rates deterministic.
"""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection as db
from django_q.models import OrmQ

from commerce.deliveries import deliveries_redispatch
from commerce.management.commands.demo_data import demo_source
from commerce.models import InboundDelivery, SourceRecord
from mappings.services import mapping_set_ensure_default
from sandbox import Sandbox, demo_credentials, make_app
from sandbox.server import serve_in_thread
from sync.models import Failure, Posting
from sync.tasks import dispatch_due
from tests.factories import make_connection
from tests.sync.demo_expectations import expected_detail_run

ROOT = Path(__file__).resolve().parents[2]
FINAL = {Posting.Status.POSTED, Posting.Status.SKIPPED, Posting.Status.FAILED}
WRITE_MARKERS = (b"<create>", b"<update>", b"<delete>", b"<create_", b"<reverse_")


class FaultSchedule:
    """WSGI middleware that calls ``on_request(n)`` for the n-th request and
    ``on_write(first, last)`` for a request carrying writes number first..last (an XML
    batch carries many), before passing the request on."""

    def __init__(self, app, *, on_write=None, on_request=None):
        self.app, self.on_write, self.on_request = app, on_write, on_request
        self.writes = self.requests = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path.endswith("xmlgw.phtml"):
            writes = sum(body.count(marker) for marker in WRITE_MARKERS)
        else:
            writes = int("/objects/" in path and method in ("POST", "PATCH", "DELETE"))
        with self.lock:
            self.requests += 1
            if self.on_request:
                self.on_request(self.requests)
            if writes:
                first, self.writes = self.writes + 1, self.writes + writes
                if self.on_write:
                    self.on_write(first, self.writes)
        return self.app(environ, start_response)


@pytest.fixture
def sandbox():
    sb = Sandbox()
    sb.set_rate_limit(per_minute=None, concurrency=None)
    yield sb
    sb.close()


@pytest.fixture
def serve(sandbox):
    """serve(schedule=None) -> base URL of the sandbox on loopback."""
    servers = []

    def start(**schedule):
        app = make_app(sandbox)
        server, url = serve_in_thread(
            FaultSchedule(app, **schedule) if schedule else app
        )
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.shutdown()


def connection_to(url):
    """A connection to the sandbox at ``url`` fed by the demo shop, default rules."""
    creds = demo_credentials()
    conn = make_connection(
        api_base_url=url,
        company_id=creds["company_id"],
        sender_id=creds["sender_id"],
        sender_password=creds["sender_password"],
        user_id=creds["user_id"],
        user_password=creds["user_password"],
        oauth_client_id=creds["client_id"],
        oauth_client_secret=creds["client_secret"],
        requests_per_second=200,
        max_concurrency=2,
        mapping_set=mapping_set_ensure_default()[0],
    )
    conn.sources.add(demo_source())
    return conn


def database_url():
    settings = db.settings_dict
    if db.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


class Cluster:
    """A `manage.py qcluster` subprocess (its own process group, so it dies whole)."""

    def __init__(self, log_path):
        self.log_path = log_path
        self.process = None

    def start(self, **overrides):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "HUB_ENV": "embedded",
            "SANDBOX_ENABLED": "false",
            "Q_WORKERS": "2",
            "SYNC_LEASE_SECONDS": "4",
            # A killed cluster's claimed tasks come back after Q_RETRY seconds.
            "Q_TIMEOUT": "20",
            "Q_RETRY": "30",
            "SYNC_RETRY_BASE_SECONDS": "0.5",
            "ENV_FILE": "/nonexistent",
            "LOG_LEVEL": "WARNING",
            **overrides,
        }
        self.log = open(self.log_path, "ab")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """SIGKILL the whole cluster: no cleanup, no goodbye."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        # A graceful django-q2 shutdown waits for its workers (seconds); the tests
        # have already checked everything they need, so end it at once.
        self.kill()
        self.log.close()


@pytest.fixture
def clusters(tmp_path):
    started = []

    def start(**env):
        """A running cluster; ``env`` overrides its settings' environment."""
        cluster = Cluster(tmp_path / f"cluster-{len(started)}.log").start(**env)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()


def demo_traffic(orders, *, seed=11):
    """The demo shop's signed webhooks through the real endpoint; the cluster's
    workers normalize, plan and post them (nothing here runs the pipeline)."""
    call_command("demo_data", orders=orders, seed=seed, verbosity=0)


def settled(connection):
    """Nothing left to do: every delivery normalized, nothing in flight or awaiting
    verification, and whatever still waits does so behind a failure a person owns."""
    if InboundDelivery.objects.filter(status=InboundDelivery.Status.RECEIVED).exists():
        return False
    if OrmQ.objects.exists():  # tasks still queued for the workers
        return False
    postings = Posting.objects.filter(connection=connection)
    if (
        not postings.exists()
        or postings.filter(
            status__in=[Posting.Status.IN_FLIGHT, Posting.Status.UNCERTAIN]
        ).exists()
    ):
        return False
    waiting = postings.filter(status=Posting.Status.PENDING)
    if waiting.exclude(depends_on__status=Posting.Status.FAILED).exists():
        return False
    # Workers plan and post while the traffic settles: what the source makes final
    # must be posted before the run counts as done (a lost one never is).
    return expected_detail_run().invoiced <= posted_orders(postings)


def posted_orders(postings):
    invoices = postings.filter(
        action="post_ar_invoice", status=Posting.Status.POSTED
    ).select_related("source_record")
    return {p.source_record.external_id for p in invoices}


def wait_until_settled(connection, *, timeout=180):
    """Drive the dispatcher (as its one-minute schedule would, only faster) until the
    run has settled and stays so."""
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        dispatch_due()
        # The five-minute schedule that re-enqueues deliveries whose task was lost
        # (a worker killed, the database gone mid-task), with a shorter grace.
        deliveries_redispatch(older_than=timedelta(seconds=20))
        calm = calm + 1 if settled(connection) else 0
        if calm >= 3:
            return
        time.sleep(1)
    stuck = [
        (p.action, p.status, p.depends_on and p.depends_on.status, p.attempt_count)
        for p in Posting.objects.exclude(status__in=FINAL).select_related("depends_on")
    ]
    missing = expected_detail_run().invoiced - posted_orders(
        Posting.objects.filter(connection=connection)
    )
    unplanned = [
        (r.external_id, r.version, r.payload.get("financial_status"))
        for r in SourceRecord.objects.filter(kind="order", external_id__in=missing)
    ]
    their_postings = [
        (
            p.source_record.external_id,
            p.source_record.version,
            p.action,
            p.status,
            p.skip_reason,
            list(p.attempts.values_list("outcome", "error_code")),
            list(p.failures.values_list("category", "message", "resolution")),
        )
        for p in Posting.objects.filter(
            source_record__external_id__in=missing
        ).select_related("source_record")
    ]
    waiting = InboundDelivery.objects.filter(
        status=InboundDelivery.Status.RECEIVED
    ).count()
    raise AssertionError(
        f"not settled after {timeout}s: {waiting} deliveries not normalized, "
        f"{OrmQ.objects.count()} tasks queued, stuck {stuck[:10]}, "
        f"final orders without an invoice {unplanned[:10]}, "
        f"their postings {their_postings[:20]}"
    )


def assert_exactly_once(sandbox, connection):
    """Zero duplicates, zero missing, and every posting final or waiting on one.

    Workers post while webhooks still arrive, so an order may be invoiced and then
    cancelled (its invoice reversed) or edited (reversed and re-posted): Intacct then
    holds one document per posted invoice posting, never two for one posting.
    """
    company = demo_credentials()["company_id"]
    seeded = Sandbox().counts()[company]
    counts = sandbox.counts()[company]
    expected = expected_detail_run()
    postings = Posting.objects.filter(connection=connection)
    posted = postings.filter(status=Posting.Status.POSTED)
    invoices = posted.filter(action="post_ar_invoice")
    assert counts.get("ARINVOICE", 0) == invoices.count(), "duplicate invoices"
    assert (
        counts.get("ARADJUSTMENT", 0)
        == posted.filter(action="post_credit_memo").count()
    )
    assert len(set(invoices.values_list("result_key", flat=True))) == invoices.count()
    invoiced = {p.source_record.external_id for p in invoices}
    assert expected.invoiced <= invoiced, "missing invoices"
    for order_id in invoiced - expected.invoiced:  # posted, then cancelled
        assert posted.filter(
            action="reverse_or_void", source_record__external_id=order_id
        ).exists(), f"order {order_id} was cancelled but its invoice stands"
    new_customers = counts.get("CUSTOMER", 0) - seeded.get("CUSTOMER", 0)
    assert new_customers == len(expected.buyers), "duplicate or missing customers"
    for failed in postings.filter(status=Posting.Status.FAILED):
        assert Failure.objects.filter(posting=failed, resolved_at=None).exists()
    assert set(postings.values_list("status", flat=True)) <= FINAL | {
        Posting.Status.PENDING
    }
    return expected
