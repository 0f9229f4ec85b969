"""A full end-to-end run at DEBUG level leaks no secret (catalogue D2).

Every secret the hub is configured with gets a distinctive canary value: the Intacct
sender and user passwords, the OAuth client secret and refresh token, a Shopify
webhook secret, an ingest API token, API2Cart keys, and the wrong password and client
secret that pause the connection; every session id and token the sandbox issues is
scanned for too. Every logger runs at DEBUG (SQL included, with DEBUG on) into a
capturing handler. Demo traffic goes in through the signed webhook endpoint and the
ingest API; ``sync_once`` posts it over real HTTP to the sandbox on loopback, with a
broken order (an unknown SKU) and an auth failure (wrong credentials, connection
paused); finance resolves failures in the dashboard (audit events). Then everything
a person or a log shipper could read is scanned for each secret, raw and in its
common encodings: log records (formatted, tracebacks included), posting attempts'
request/response excerpts, failures, audit events, stored deliveries and ingest
answers, queued tasks, and the rendered dashboard and admin pages.
"""

import base64
import html
import json
import logging
import uuid
from urllib.parse import quote, quote_plus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_q.models import OrmQ, Task
from django_q.signing import SignedPackage

from commerce.models import InboundDelivery, IngestRequest, Source
from commerce.sources.shopify import sign
from mappings.services import mapping_set_ensure_default
from sandbox import Sandbox, make_app
from sandbox.company import Company, User
from sandbox.server import serve_in_thread
from sync.models import AuditEvent, Connection, Failure, Posting, PostingAttempt
from tests.commerce.records import customer_data, envelope, order_data
from tests.factories import make_api2cart_source, make_connection, make_user

pytestmark = pytest.mark.django_db(transaction=True)

COMPANY = "LEAKTEST-CO"
SENDER_ID, USER_ID = "leak_sender", "leak_xml_user"
CLIENT_ID = "leak-client.app.sandbox.intacct"


def canary(name):
    # "+", "/" and "=" change under URL encoding; "&" and "<" under HTML and XML
    # escaping: a leak in any of those forms must still be found.
    return f"CANARY-{name}-{uuid.uuid4().hex[:12]}+/&<="


SECRETS = {
    name: canary(name)
    for name in (
        "sender-password",
        "user-password",
        "client-secret",
        "refresh-token",
        "webhook-secret",
        "wrong-user-password",
        "wrong-client-secret",
        "a2c-api-key",
        "a2c-store-key",
    )
}

#: Every logger the run may write to; all set to DEBUG for the run.
LOGGERS = (
    "",
    "django",
    "django.request",
    "django.server",
    "django.template",
    "django.db.backends",
    "django.security",
    "django-q",
    "httpx",
    "httpcore",
    "sync",
    "sync.intacct",
    "commerce",
    "mappings",
    "sandbox",
    "intacct_hub",
)


class Capture(logging.Handler):
    """Keeps every record formatted as a log shipper would see it, traceback too."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def captured_logs(settings):
    # demo_data builds a WSGI application, and django.setup() would apply LOGGING
    # again, dropping this capture and the DEBUG levels mid-run.
    settings.LOGGING_CONFIG = None
    capture = Capture()
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.disabled)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if name == "" or not logger.propagate:
            logger.addHandler(capture)
    yield capture
    for name, (level, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.disabled = disabled
        logger.removeHandler(capture)


@pytest.fixture
def sandbox():
    sb = Sandbox()
    sb.set_rate_limit(per_minute=None, concurrency=None)
    sb.seed_company(
        Company(
            company_id=COMPANY,
            senders={SENDER_ID: SECRETS["sender-password"]},
            users={USER_ID: User(USER_ID, SECRETS["user-password"])},
            oauth_clients={CLIENT_ID: SECRETS["client-secret"]},
            entities=["100", "200"],
            closed_through="2020-12-31",
        )
    )
    # Every session id and token Intacct hands out is a secret too.
    sb.issued = []
    issue = sb.store.issue_token

    def recording_issue(*args, **kwargs):
        token = issue(*args, **kwargs)
        if token.kind != "xml_result":  # readMore cursors are not credentials
            sb.issued.append(token.token)
        return token

    sb.store.issue_token = recording_issue
    yield sb
    sb.close()


@pytest.fixture
def sandbox_url(sandbox):
    server, url = serve_in_thread(make_app(sandbox))
    yield url
    server.shutdown()


def encodings(secret):
    """The secret as it could appear once encoded: raw, escaped, URL-encoded, JSON,
    hex, and base64 (both alphabets, at each of the three alignments inside a
    longer encoded blob)."""
    raw = secret.encode()
    forms = {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        raw.hex(),
    }
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for shift in range(3):
            blob = encode(b"\0" * shift + raw).decode()
            start = -(-shift // 3) * 4  # first group made only of secret bytes
            end = (shift + len(raw)) // 3 * 4  # last group without padding
            forms.add(blob[start:end])
    return {form for form in forms if len(form) >= 12}


def leaks(texts, secrets):
    """[(secret name, where, encoded form)] for every secret found in ``texts``."""
    found = []
    for where, text in texts:
        for name, secret in secrets.items():
            for form in encodings(secret):
                if form in text:
                    found.append((name, where, form))
    return found


def ingest(client, source, token, body):
    return client.post(
        f"/api/v1/sources/{source.slug}/records/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def good_order(external_id, customer_id):
    return order_data(
        number=f"API-{external_id}",
        customer={"id": customer_id, "email": "api.buyer@example.com"},
        channel="",
        currency="USD",
        lines=[
            {
                "id": "L1",
                "sku": "SKU-1001",
                "title": "Blue T-shirt",
                "quantity": 1,
                "unit_price": "25.00",
                "discount": "0.00",
                "tax_lines": [],
            }
        ],
        shipping_lines=[],
        total_shipping="0.00",
        discounts=[],
        total_discounts="0.00",
        subtotal_price="25.00",
        total_tax="0.00",
        total_price="25.00",
    )


def drive_demo_run(client, sandbox_url, secrets):
    """Webhooks and ingest API in, sync_once out, a broken order and a paused
    connection; returns the connection and the ingest token."""
    # The demo shop's webhooks, signed with our canary secret (demo_data keeps it).
    shop = Source.objects.create(
        name="Demo shop",
        slug="demo-shop",
        kind=Source.Kind.SHOPIFY,
        webhook_secret=secrets["webhook-secret"],
    )
    call_command("demo_data", orders=12, seed=5, process=True, verbosity=0)
    assert InboundDelivery.objects.filter(status="processed").exists()
    forged = b'{"id": 1}'
    bad = client.post(
        f"/webhooks/shopify/{shop.slug}/",
        data=forged,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign("not-" + secrets["webhook-secret"], forged),
        },
    )
    assert bad.status_code == 401

    api = Source.objects.create(name="API", slug="api-feed", kind=Source.Kind.INGEST)
    token = api.issue_api_token()
    api.save()
    records = {
        "records": [
            envelope("customer", "API-C1", customer_data()),
            envelope("order", "API-1", good_order("API-1", "API-C1")),
            # The broken order: a SKU Intacct does not know.
            envelope("order", "API-2", order_data(customer={"id": "API-C1"})),
        ]
    }
    assert ingest(client, api, token, records).status_code == 201
    assert ingest(client, api, "ihs_not-the-token", records).status_code == 401

    connection = make_connection(
        name="Leak test",
        slug="leak-test",
        api_base_url=sandbox_url,
        company_id=COMPANY,
        sender_id=SENDER_ID,
        sender_password=secrets["sender-password"],
        user_id=USER_ID,
        user_password=secrets["user-password"],
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=secrets["client-secret"],
        # Unknown to Intacct: refused, then the client signs in afresh.
        oauth_refresh_token=secrets["refresh-token"],
        requests_per_second=500,
        mapping_set=mapping_set_ensure_default()[0],
    )
    connection.sources.set([shop, api])
    call_command("sync_once", connection=connection.slug, verbosity=0)
    return connection, token


def pause_with_a_wrong_password(client, sandbox, connection, secrets):
    """New work, Intacct's sessions gone, and wrong credentials for both APIs: the
    connection pauses."""
    api = Source.objects.get(slug="api-feed")
    Connection.objects.filter(pk=connection.pk).update(
        user_password=secrets["wrong-user-password"],
        oauth_client_secret=secrets["wrong-client-secret"],
    )
    sandbox.expire_sessions()
    token = api.issue_api_token()
    api.save()
    later = envelope("customer", "API-C2", customer_data(email="later@example.com"))
    assert ingest(client, api, token, later).status_code == 201
    call_command("sync_once", connection=connection.slug, verbosity=0)
    connection.refresh_from_db()
    assert connection.paused_at is not None, "the wrong password did not pause it"
    return token


def rendered_pages(client, connection):
    """Every page a person could open about this run, as (url, html)."""
    client.force_login(make_user(superuser=True))
    a2c = make_api2cart_source(
        api_key=SECRETS["a2c-api-key"], store_key=SECRETS["a2c-store-key"]
    )
    test_page = client.post(reverse("dashboard:test", args=[connection.slug]))
    # Resolutions write audit events (with payloads before and after an edit).
    broken = Failure.objects.get(posting__source_record__external_id="API-2")
    ignored = client.post(
        reverse("dashboard:failure-act", args=[broken.pk, "ignore"]),
        {"reason": "test order"},
    )
    assert ignored.status_code == 302
    for failure in Failure.objects.filter(resolved_at=None):
        client.post(reverse("dashboard:failure-act", args=[failure.pk, "retry"]))
    assert AuditEvent.objects.count() >= 2
    urls = [
        reverse("dashboard:home"),
        reverse("dashboard:runs"),
        reverse("dashboard:failures"),
        reverse("dashboard:failures-csv"),
        reverse("admin:sync_connection_change", args=[connection.pk]),
        reverse("admin:sync_connection_changelist"),
        reverse("admin:commerce_source_changelist"),
        reverse("admin:sync_posting_changelist"),
        reverse("admin:sync_postingattempt_changelist"),
        reverse("admin:sync_failure_changelist"),
        reverse("admin:sync_auditevent_changelist"),
        reverse("admin:commerce_inbounddelivery_changelist"),
        reverse("admin:commerce_ingestrequest_changelist"),
        reverse("admin:commerce_source_change", args=[a2c.pk]),
    ]
    urls += [
        reverse("admin:commerce_source_change", args=[pk])
        for pk in Source.objects.values_list("pk", flat=True)
    ]
    urls += [
        reverse("dashboard:run", args=[pk])
        for pk in connection.runs.values_list("pk", flat=True)
    ]
    for failure in Failure.objects.all():
        urls.append(reverse("dashboard:failure", args=[failure.pk]))
        urls.append(reverse("admin:sync_failure_change", args=[failure.pk]))
    for posting in Posting.objects.filter(attempts__isnull=False).distinct():
        urls.append(reverse("admin:sync_posting_change", args=[posting.pk]))
    for attempt in PostingAttempt.objects.all():
        urls.append(reverse("admin:sync_postingattempt_change", args=[attempt.pk]))
    for delivery in InboundDelivery.objects.all()[:5]:
        urls.append(
            reverse("admin:commerce_inbounddelivery_change", args=[delivery.pk])
        )
    pages = [("POST connection test", test_page)]
    pages += [(url, client.get(url)) for url in urls]
    for url, response in pages:
        assert response.status_code == 200, url
    return [(url, b"".join(_body(r)).decode()) for url, r in pages]


def _body(response):
    return response.streaming_content if response.streaming else [response.content]


def stored_rows():
    """Every row a person, an export or a task could read, as (where, text)."""
    rows = []
    for model in (PostingAttempt, Failure, AuditEvent, InboundDelivery, IngestRequest):
        for row in model.objects.values():
            rows.append((f"{model.__name__} {row['id']}", str(row)))
    plain = [f.name for f in Connection._meta.fields]
    plain = [name for name in plain if name not in Connection.SECRET_FIELDS]
    for row in Connection.objects.values(*plain):
        rows.append((f"Connection {row['id']}", str(row)))
    for queued in OrmQ.objects.all():
        rows.append((f"OrmQ {queued.pk}", queued.payload))
        task = SignedPackage.loads(queued.payload)
        rows.append((f"OrmQ {queued.pk} task", str(task)))
    for task in Task.objects.all():
        rows.append((f"Task {task.pk}", str([task.args, task.kwargs, task.result])))
    return rows


def test_a_debug_run_with_failures_leaks_no_secret(
    client, settings, sandbox, sandbox_url, captured_logs
):
    settings.DEBUG = True  # Django logs every SQL statement with its parameters
    connection, first_token = drive_demo_run(client, sandbox_url, SECRETS)

    # The run really happened, over both APIs, with the failures we asked for.
    apis = {entry.api for entry in sandbox.request_log}
    assert {"xml", "rest"} <= apis, apis
    assert Posting.objects.filter(status="posted").count() >= 5
    broken = Failure.objects.get(posting__source_record__external_id="API-2")
    assert broken.category == "business" and "WIDGET-1" in broken.message
    # The token requests were stored, with their secrets masked in place.
    excerpts = PostingAttempt.objects.values_list("request_excerpt", flat=True)
    assert any("client_secret=***" in text for text in excerpts)
    issued_refresh = Connection.objects.get(pk=connection.pk).oauth_refresh_token
    assert issued_refresh and issued_refresh != SECRETS["refresh-token"]

    second_token = pause_with_a_wrong_password(client, sandbox, connection, SECRETS)
    pages = rendered_pages(client, connection)

    secrets = {
        **SECRETS,
        "ingest-token": first_token,
        "ingest-token-2": second_token,
        "issued-refresh-token": issued_refresh,
        **{f"sandbox-issued-{n}": t for n, t in enumerate(sandbox.issued)},
    }
    assert len(sandbox.issued) >= 3  # sessions and tokens were really handed out
    logs = [(f"log line {n}", line) for n, line in enumerate(captured_logs.lines)]
    assert any("sync_connection" in line for _, line in logs)  # SQL was logged
    assert any(line.startswith("DEBUG httpcore") for _, line in logs)
    assert any("rejected Shopify webhook" in line for _, line in logs)
    everything = logs + stored_rows() + pages

    found = leaks(everything, secrets)

    assert not found, "\n".join(
        f"{name} in {where} as {form!r}" for name, where, form in found[:20]
    )


def test_the_scan_finds_a_secret_in_each_encoding():
    """The scan itself can fail: a planted secret is found however it is encoded."""
    secret = SECRETS["client-secret"]
    planted = [
        ("raw", f"x {secret} y"),
        ("url", "client_secret=" + quote_plus(secret)),
        ("html", f"<td>{html.escape(secret)}</td>"),
        ("json", json.dumps({"s": secret})),
        ("b64", base64.b64encode(b"ab" + secret.encode() + b"c").decode()),
        ("b64url", base64.urlsafe_b64encode(b"a" + secret.encode()).decode()),
    ]
    found = {where for _, where, _ in leaks(planted, {"client-secret": secret})}
    assert found == {where for where, _ in planted}
    assert not leaks([("clean", "nothing to see")], {"client-secret": secret})
