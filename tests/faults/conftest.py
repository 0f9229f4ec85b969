"""Real worker processes against a real (loopback) sandbox.

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
from pathlib import Path

import pytest
from django.db import connection as db

from sandbox import Sandbox, demo_credentials, make_app
from sandbox.server import serve_in_thread
from sync.models import Failure, Posting
from sync.tasks import dispatch_due
from tests.factories import make_connection, make_source
from tests.sync.conftest import a_customer, an_order, small_rules, store

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
        mapping_set=small_rules(),
    )
    conn.sources.add(make_source(slug="shop"))
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

    def start(self):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "HUB_ENV": "embedded",
            "SANDBOX_ENABLED": "false",
            "Q_WORKERS": "2",
            "SYNC_LEASE_SECONDS": "4",
            "SYNC_RETRY_BASE_SECONDS": "0.5",
            "ENV_FILE": "/nonexistent",
            "LOG_LEVEL": "WARNING",
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

    def start():
        cluster = Cluster(tmp_path / f"cluster-{len(started)}.log").start()
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()


def orders(connection, count, *, buyers=7):
    """``count`` paid orders from ``buyers`` repeat customers, each stored once."""
    records = [a_customer(f"C-{b}") for b in range(buyers)]
    records += [
        an_order(f"O-{n}", customer={"id": f"C-{n % buyers}"}) for n in range(count)
    ]
    store(connection, *records)
    return buyers, count


def wait_until_settled(connection, *, timeout=150):
    """Drive the dispatcher (as its schedule would) until every posting is final."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch_due()
        postings = Posting.objects.filter(connection=connection)
        if postings.exists() and not postings.exclude(status__in=FINAL).exists():
            return
        time.sleep(1)
    states = list(postings.values_list("status", flat=True))
    raise AssertionError(f"not settled after {timeout}s: {states}")


def assert_exactly_once(sandbox, connection, *, customers, invoices):
    counts = sandbox.counts()[demo_credentials()["company_id"]]
    seeded = Sandbox().counts()[demo_credentials()["company_id"]]
    assert counts.get("ARINVOICE", 0) == invoices, "duplicate or missing invoices"
    assert counts.get("CUSTOMER", 0) - seeded.get("CUSTOMER", 0) == customers
    postings = Posting.objects.filter(connection=connection)
    assert set(postings.values_list("status", flat=True)) <= FINAL
    for failed in postings.filter(status=Posting.Status.FAILED):
        assert Failure.objects.filter(posting=failed, resolved_at=None).exists()
    posted = postings.filter(status=Posting.Status.POSTED)
    assert posted.filter(action="post_ar_invoice").count() == invoices
