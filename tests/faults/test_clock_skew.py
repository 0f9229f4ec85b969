"""Clock skew of ±10 minutes between the hub and Intacct (the sandbox's clock runs
ahead or behind through its `clock` control). The run posts exactly once, tokens
and sessions are neither thrown away fresh nor used stale, and read-back, which is
incremental by Intacct's modification time, misses no change made in Intacct."""

import time

import httpx
import pytest

from sandbox import make_app, rules
from sync.clients import client_for
from sync.intacct.xmlgw.session import SessionCache
from sync.models import ExternalRef, IntacctDocumentState
from sync.services.readback import readback_run
from tests.faults.conftest import (
    assert_exactly_once,
    connection_to,
    demo_traffic,
)
from tests.faults.matrix import serve_watched, settle

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 150
SKEWS = [
    pytest.param(600, id="intacct-10-min-ahead"),
    pytest.param(-600, id="intacct-10-min-behind"),
]


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.shutdown()


def test_the_clock_control_sets_the_sandbox_skew(sandbox):
    with httpx.Client(
        transport=httpx.WSGITransport(app=make_app(sandbox)), base_url="http://sb"
    ) as http:
        answer = http.post("/_sandbox/clock", json={"offset": -600}).json()
        assert answer["offset"] == -600
        assert sandbox.clock.offset == -600
        assert -610 < answer["now"] - time.time() < -590
        # Advancing moves on from the skew; a new offset replaces it.
        assert http.post("/_sandbox/clock", json={"advance": 60}).json()["offset"] == (
            -540
        )
        assert http.post("/_sandbox/clock", json={"offset": 600}).json()["offset"] == (
            600
        )
        assert http.post("/_sandbox/clock", json={"offset": "soon"}).status_code == 400


@pytest.mark.parametrize("skew", SKEWS)
def test_a_run_against_a_skewed_intacct_posts_once_and_reads_back_every_change(
    sandbox, servers, clusters, skew
):
    sandbox.set_clock_offset(skew)
    url, watch = serve_watched(sandbox, servers)
    connection = connection_to(url)
    connection.routing = {"upsert_customer": "xml"}  # both protocols log in
    connection.save()
    clusters()
    demo_traffic(ORDERS)
    settle(connection)
    assert_exactly_once(sandbox, connection)
    # No request went out with a token or session Intacct held to be expired, and
    # the XML sessions (kept per worker process) were not thrown away fresh: a few
    # logins for two worker processes (a recycled worker logs in again), not one per
    # request.
    assert watch.refused == 0
    assert watch.token_grants > 0 and 0 < watch.xml_logins <= 8

    first = readback_run(connection=connection)
    assert (
        first.updated
        == ExternalRef.objects.filter(
            connection=connection, intacct_object="ARINVOICE"
        ).count()
    )
    # A customer pays in Intacct after that read-back (a second or two later on
    # Intacct's clock, so the payment is alone in its second): the next one sees it.
    binding = ExternalRef.objects.filter(
        connection=connection, intacct_object="ARINVOICE"
    ).first()
    invoice = sandbox.store.get(
        connection.company_id, "ARINVOICE", int(binding.intacct_key)
    )
    sandbox.clock.advance(2)
    rules.apply_payment(
        sandbox.context(connection.company_id),
        binding.intacct_key,
        invoice["TOTALENTERED"],
    )
    readback_run(connection=connection)
    state = IntacctDocumentState.objects.get(binding=binding)
    assert state.payment == IntacctDocumentState.Payment.PAID
    assert state.due == 0
    # The watermark is Intacct's own stamp of that payment (readback.OVERLAP is 0):
    # the next read-back reads that one row again, nothing older.
    assert readback_run(connection=connection).read == 1


class StepClock:
    """The client's monotonic clock, moved on by the test together with Intacct's."""

    def __init__(self):
        self.now = time.monotonic()

    def __call__(self):
        return self.now


@pytest.mark.parametrize("skew", SKEWS)
def test_tokens_and_sessions_expire_by_intacct_lifetimes_not_its_clock(
    sandbox, servers, skew
):
    """Lifetimes of 20 minutes against a skew of 10: a client that read Intacct's
    absolute times against its own clock would renew a fresh token or session
    early (Intacct behind) or send an expired one (Intacct ahead)."""
    ttl = 1200
    sandbox.set_clock_offset(skew)
    sandbox.config.rest_access_ttl = ttl
    sandbox.update_company(session_ttl=ttl)
    url, watch = serve_watched(sandbox, servers)
    connection = connection_to(url)
    clock = StepClock()

    def later(seconds):
        clock.now += seconds
        sandbox.clock.advance(seconds)

    def read_both(client):
        assert list(client.rest.query("accounts-receivable/customer", ["key"]))
        assert list(client.xml.query("CUSTOMER", ["RECORDNO"]))

    with client_for(connection, clock=clock, sessions=SessionCache()) as client:
        read_both(client)
        assert (watch.token_grants, watch.xml_logins) == (1, 1)
        later(800)  # past the skew, inside both lifetimes: keep what we have
        read_both(client)
        assert (watch.token_grants, watch.xml_logins) == (1, 1)
        later(800)  # the token (20 min from its grant) is spent: renew before use
        read_both(client)
        assert watch.token_grants == 2
        assert watch.xml_logins == 1  # sliding: the last use kept the session alive
        later(ttl + 60)  # both lapse unused: both renewed before use
        read_both(client)
        assert (watch.token_grants, watch.xml_logins) == (3, 2)
    assert watch.refused == 0
