"""Helpers for the environment rows of the fault matrix (docs/RELIABILITY.md):
a PostgreSQL outage as a restart looks to the hub, a wait for a run that stops on
failures a person owns, and a WSGI observer that counts logins and auth refusals.

The real-worker fixtures (`sandbox`, `serve`, `clusters`) live in conftest.py.
"""

import io
import threading
import time
from contextlib import contextmanager

from django.db import connection as db
from django_q.models import OrmQ

from commerce.models import InboundDelivery
from sandbox import make_app
from sandbox.server import serve_in_thread
from sync.models import Failure, Posting
from sync.tasks import dispatch_due
from tests.faults.conftest import FINAL, FaultSchedule, wait_until_settled

S = Posting.Status


def quiet(connection):
    """Nothing more will happen without a person: every delivery normalized, no
    task queued, nothing in flight or uncertain, and every posting final or waiting
    behind a failed one. Unlike conftest's `settled`, failed invoices are allowed."""
    if InboundDelivery.objects.filter(status=InboundDelivery.Status.RECEIVED).exists():
        return False
    if OrmQ.objects.exists():
        return False
    postings = Posting.objects.filter(connection=connection)
    if postings.filter(status__in=[S.IN_FLIGHT, S.UNCERTAIN]).exists():
        return False
    waiting = postings.filter(status=S.PENDING)
    return not waiting.exclude(depends_on__status=S.FAILED).exists()


def wait_until_quiet(connection, *, timeout=180):
    """Drive the dispatcher until the run is quiet and stays so for three rounds."""
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        dispatch_due()
        calm = calm + 1 if quiet(connection) else 0
        if calm >= 3:
            return
        time.sleep(1)
    stuck = list(
        Posting.objects.filter(connection=connection)
        .exclude(status__in=FINAL)
        .values_list("action", "status", "attempt_count")[:10]
    )
    raise AssertionError(f"not quiet after {timeout}s: {stuck}")


def settle(connection, *, timeout=180):
    """conftest's `wait_until_settled`, and when it gives up, the open failures too
    (a posting that failed is final, so "stuck" alone does not show it)."""
    try:
        wait_until_settled(connection, timeout=timeout)
    except AssertionError as exc:
        failures = Failure.objects.filter(
            posting__connection=connection, resolved_at=None
        ).select_related("posting__source_record")
        why = [
            (
                f.posting.action,
                f.posting.source_record_id and f.posting.source_record.external_id,
                f.category,
                f.message[:120],
            )
            for f in failures[:10]
        ]
        raise AssertionError(f"{exc}; open failures {why}") from exc


# --- PostgreSQL restart ---------------------------------------------------------


def admin_connection():
    """A psycopg connection to the server's `postgres` database (autocommit): it
    outlives the outage of the test database, and so does the test's own one."""
    import psycopg

    settings = db.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@contextmanager
def database_down(*, spare_pid):
    """What a PostgreSQL restart does to the hub, confined to the test database:
    new connections are refused and every open one (but `spare_pid`, the test's
    own) is cut. Connections are allowed again on exit, whatever happened."""
    name = db.settings_dict["NAME"]
    quoted = '"' + name.replace('"', '""') + '"'
    with admin_connection() as admin:
        try:
            admin.execute(f"ALTER DATABASE {quoted} WITH ALLOW_CONNECTIONS false")
            cut = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s AND pid <> pg_backend_pid()",
                (name, spare_pid),
            ).fetchone()[0]
            yield cut
        finally:
            admin.execute(f"ALTER DATABASE {quoted} WITH ALLOW_CONNECTIONS true")


class Outage:
    """Takes the test database down for `seconds` on a thread of its own, once,
    when `start()` is first called (from a FaultSchedule hook, mid-run)."""

    def __init__(self, seconds):
        self.seconds = seconds
        with db.cursor() as cursor:  # the test's own backend survives the outage
            cursor.execute("SELECT pg_backend_pid()")
            self.spare_pid = cursor.fetchone()[0]
        self.thread = None
        self.cut = None
        self.error = None
        self.started = threading.Event()

    def start(self):
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
            self.started.set()

    def _run(self):
        try:
            with database_down(spare_pid=self.spare_pid) as cut:
                self.cut = cut
                time.sleep(self.seconds)
        except Exception as exc:  # reported by join(), on the test's thread
            self.error = exc

    def join(self, timeout=60):
        assert self.started.wait(timeout), "the outage never started"
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the outage did not end"
        if self.error:
            raise self.error


# --- logins ---------------------------------------------------------------------


class LoginWatch:
    """WSGI middleware in front of the sandbox counting what the hub's clients ask
    for: REST token grants, XML session logins, and API requests Intacct refused
    as unauthenticated (REST 401, or an XML answer naming an invalid session)."""

    AUTH_REFUSALS = (b"tokenInvalid", b"XL03000006", b"Invalid session")

    def __init__(self, app):
        self.app = app
        self.token_grants = self.xml_logins = self.refused = self.requests = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        status = []

        def remember(line, headers, *rest):
            status.append(line)
            return start_response(line, headers, *rest)

        answer = b"".join(self.app(environ, remember))
        with self.lock:
            self.requests += 1
            if path.endswith("/oauth2/token"):
                self.token_grants += 1
            elif b"<getAPISession" in body:
                self.xml_logins += 1
            elif status[0].startswith("401") or any(
                marker in answer for marker in self.AUTH_REFUSALS
            ):
                self.refused += 1
        return [answer]


def serve_watched(sandbox, servers, **schedule):
    """Serve `sandbox` on loopback behind a LoginWatch (and a FaultSchedule, if
    given); returns (url, watch). Shut the servers in `servers` down afterwards."""
    app = make_app(sandbox)
    watch = LoginWatch(FaultSchedule(app, **schedule) if schedule else app)
    server, url = serve_in_thread(watch)
    servers.append(server)
    return url, watch
