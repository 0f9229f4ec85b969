"""Hostile XML is refused, never expanded, fetched or read (issue 9; catalogue C2).

Each attack goes (a) to the sandbox's XML gateway over HTTP (in-process WSGI), which
must answer with a clear Intacct error and change nothing, and (b) as a response body
to the client, whose parser must refuse it with its typed error (the gateway turns it
into ``TransportError``) without expanding entities, reading files or fetching URLs.
The requests carry valid credentials and a create, so a parser that let the attack
through would leave a customer behind. The machine endpoints refuse 10 MB bodies.

Both parsers are built with ``resolve_entities=False, no_network=True,
load_dtd=False, huge_tree=False`` and refuse a DOCTYPE outright, also when the body
is UTF-16 (which hides ``<!DOCTYPE`` from a byte search); ``test_parser_settings``
pins that construction.
"""

from __future__ import annotations

import http.server
import json
import threading

import httpx
import pytest
from lxml import etree

from sandbox import demo_credentials, make_app
from sandbox import errors as sandbox_errors
from sandbox.xml import parse as sandbox_parse
from sync.intacct import Credentials, IntacctClient, TransportError
from sync.intacct.constants import MAX_RESPONSE_BYTES
from sync.intacct.xmlgw import parser

from .conftest import post_raw, rows, xml_request

MARKER = "HOSTILE-FILE-MARKER-7c1e"
TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def secret_file(tmp_path):
    """A local file an external entity points at; its content must never show."""
    path = tmp_path / "secret.txt"
    path.write_text(MARKER)
    return path


@pytest.fixture
def listener():
    """A loopback HTTP server counting the requests an entity makes it receive."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            hits.append(self.path)
            body = b'<!ENTITY leak "' + MARKER.encode() + b'">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def billion_laughs(root: str) -> str:
    """Ten levels of ten: 10**9 "lol"s if expanded (about 3 GB)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [{''.join(entities)}]>"


def attacks(root: str, secret_file, url: str) -> dict[str, str]:
    """DOCTYPE prologs, each with the entity the document then uses as `&x;`."""
    return {
        "billion_laughs": billion_laughs(root).replace("lol9 ", "x "),
        "external_file": f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "file://{secret_file}">]>',
        "external_passwd": f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        "external_http": f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "{url}/x">]>',
        "parameter_entities": (
            f'<!DOCTYPE {root} [<!ENTITY % remote SYSTEM "{url}/p.dtd"> %remote;'
            f"<!ENTITY % inner \"<!ENTITY x '&#37;remote;'>\"> %inner;]>"
        ),
        "external_dtd": f'<!DOCTYPE {root} SYSTEM "{url}/r.dtd"><!-- &x; -->',
    }


ATTACKS = list(attacks("r", "/f", "http://h"))
ENCODINGS = ["utf-8", "utf-16"]


def encode(text: str, encoding: str) -> bytes:
    """With its XML declaration; UTF-16 hides `<!DOCTYPE` from a byte search."""
    declaration = f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'
    return (declaration + text).encode(encoding)


def hostile_request(prolog: str, encoding: str) -> bytes:
    """A valid request for the DEMO company whose customer NAME is `&x;`."""
    create = etree.Element("create")
    customer = etree.SubElement(create, "CUSTOMER")
    etree.SubElement(customer, "CUSTOMERID").text = "HOSTILE-1"
    etree.SubElement(customer, "NAME").text = "ENTITY-HERE"
    body = xml_request(demo_credentials(), create).decode()
    body = body.split("?>", 1)[1].replace("ENTITY-HERE", "&x;")
    return encode(prolog + body, encoding)


def hostile_response(prolog: str, encoding: str) -> bytes:
    body = (
        "<response><control><status>success</status></control><operation>"
        "<authentication><status>success</status></authentication><result>"
        "<status>success</status><function>getAPISession</function>"
        "<controlid>c</controlid><data><api><sessionid>&x;</sessionid>"
        "<endpoint>https://sandbox.test/ia/xml/xmlgw.phtml</endpoint></api></data>"
        "</result></operation></response>"
    )
    return encode(prolog + body, encoding)


def deeply_nested(root: str, levels: int = 100_000) -> bytes:
    return f"<{root}>{'<a>' * levels}{'</a>' * levels}</{root}>".encode()


def assert_refused_cleanly(response: httpx.Response, hits: list):
    """An Intacct control failure naming the problem; no rows, no fetch, no leak."""
    assert response.status_code == 200
    answer = parser.parse_response(response.content)
    assert answer.control_status == "failure" and not answer.results
    [error] = answer.errors
    assert error.errorno == sandbox_errors.PARSE
    assert "XML Parse schema error" in error.description2
    assert MARKER not in response.text and "root:" not in response.text
    assert not hits


# --- (a) the sandbox's XML gateway over HTTP ---------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_the_sandbox_gateway_refuses_entity_attacks(
    http, sandbox, secret_file, listener, attack, encoding
):
    url, hits = listener
    before = rows(sandbox)
    body = hostile_request(attacks("request", secret_file, url)[attack], encoding)

    response = post_raw(http, body)

    assert_refused_cleanly(response, hits)
    reason = "DOCTYPE and ENTITY" if encoding == "utf-8" else "must be UTF-8 encoded"
    assert reason in response.text
    assert rows(sandbox) == before


def test_the_unattacked_request_would_have_created_the_customer(http, sandbox):
    """The control case: the same request without the DTD does create HOSTILE-1."""
    body = hostile_request("", "utf-8").replace(b"&x;", b"plain")

    response = post_raw(http, body)

    assert b"<status>success</status>" in response.content
    assert sandbox.store.get_by_id("SANDBOX-DEMO", "CUSTOMER", "HOSTILE-1")


def test_the_sandbox_gateway_refuses_100000_levels_of_nesting(http, sandbox, listener):
    before = rows(sandbox)
    body = hostile_request("", "utf-8").replace(
        b"&x;", b"<a>" * 100_000 + b"</a>" * 100_000
    )

    response = post_raw(http, body)

    assert_refused_cleanly(response, listener[1])
    assert "Excessive depth" in response.text
    assert rows(sandbox) == before


def test_the_sandbox_gateway_refuses_a_10_mb_body_with_413(http, sandbox):
    before = rows(sandbox)
    body = hostile_request("", "utf-8").replace(b"&x;", b"A" * TEN_MB)

    response = post_raw(http, body)

    assert response.status_code == 413
    [error] = parser.parse_response(response.content).errors
    assert error.errorno == "GW-0011" and "too large" in error.text
    assert rows(sandbox) == before


def test_the_sandbox_gateway_refuses_a_10_mb_body_that_hides_its_length(http, sandbox):
    """No Content-Length (chunked): the sandbox reads at most its limit plus one."""
    before = rows(sandbox)
    chunks = [b"<request>"] + [b"B" * 1024 * 1024] * 10 + [b"</request>"]

    response = http.post(
        "/ia/xml/xmlgw.phtml",
        content=iter(chunks),
        headers={"Content-Type": "application/xml"},
    )

    assert response.status_code == 413
    assert rows(sandbox) == before


# --- (b) the client's response parser ----------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_the_client_parser_refuses_entity_attacks(
    secret_file, listener, attack, encoding
):
    url, hits = listener
    body = hostile_response(attacks("response", secret_file, url)[attack], encoding)

    with pytest.raises(parser.ResponseParseError) as refused:
        parser.parse_response(body)

    reason = "DTD" if encoding == "utf-8" else "not UTF-8"
    assert reason in str(refused.value)
    assert MARKER not in str(refused.value)
    assert not hits


def test_the_client_parser_refuses_100000_levels_of_nesting():
    with pytest.raises(parser.ResponseParseError, match="Excessive depth"):
        parser.parse_response(deeply_nested("response"))


def test_the_client_parser_refuses_a_10_mb_text_node():
    """huge_tree=False: libxml2 refuses one text node of 10 MB or more."""
    body = b"<response><control><status>" + b"s" * TEN_MB + b"</status></control>"

    with pytest.raises(parser.ResponseParseError, match="Text node too long"):
        parser.parse_response(body + b"</response>")


def test_the_client_parser_refuses_bodies_over_its_cap_before_parsing():
    body = b"<response>" + b" " * MAX_RESPONSE_BYTES + b"</response>"

    with pytest.raises(parser.ResponseParseError, match="exceeds"):
        parser.parse_response(body)
    with pytest.raises(parser.ResponseParseError, match="exceeds"):
        parser.parse_xml(b"<response>" + b" " * TEN_MB + b"</response>", limit=TEN_MB)


def hostile_gateway(app, body: bytes):
    """The sandbox, except that every XML gateway answer is replaced by `body`:
    what a compromised or spoofed Intacct endpoint could send the client."""

    def wsgi(environ, start_response):
        if environ["PATH_INFO"].startswith("/ia/xml/"):
            start_response("200 OK", [("Content-Type", "application/xml")])
            return [body]
        return app(environ, start_response)

    return wsgi


@pytest.mark.parametrize("attack", [*ATTACKS, "deep_nesting", "ten_mb_text"], ids=str)
def test_the_client_turns_a_hostile_gateway_answer_into_a_transport_error(
    sandbox, secret_file, listener, attack
):
    url, hits = listener
    if attack == "deep_nesting":
        body = deeply_nested("response")
    elif attack == "ten_mb_text":
        body = b"<response>" + b"s" * TEN_MB + b"</response>"
    else:
        body = hostile_response(attacks("response", secret_file, url)[attack], "utf-8")
    creds = Credentials.from_dict(demo_credentials(), base_url="http://sandbox.test")
    transport = httpx.WSGITransport(app=hostile_gateway(make_app(sandbox), body))
    routes = {"read_dimensions": "xml"}

    with IntacctClient(creds, http_transport=transport, sleep=lambda s: None) as client:
        client.router.routes.update(routes)
        with pytest.raises(TransportError) as refused:
            client.read_dimensions()

    assert refused.value.protocol == "xml" and not refused.value.details
    assert isinstance(refused.value.__cause__, parser.ResponseParseError)
    assert MARKER not in str(refused.value)
    assert not hits


def test_parser_settings():
    """Both parsers are constructed safe; a change here must be a conscious one."""
    for make in (parser._parser, sandbox_parse._parser):
        doc = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
        root = etree.fromstring(doc, make())
        assert "root:" not in (root.text or "")  # not resolved, not read
        assert root[0].tag is etree.Entity  # left as an unexpanded reference
        with pytest.raises(etree.XMLSyntaxError, match="depth"):
            etree.fromstring(deeply_nested("r", 300), make())  # huge_tree=False
        with pytest.raises(etree.XMLSyntaxError):  # UTF-8 only, whatever declared
            etree.fromstring(encode("<r/>", "utf-16"), make())


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><response/>",
        b"<?xml version='1.0' encoding='us-ascii'?><response/>",
        "<response>é 𝄞 שלום</response>".encode(),
    ],
    ids=["utf8-bom", "ascii", "utf8-undeclared"],
)
def test_utf8_in_its_usual_forms_is_still_read(body):
    assert parser.parse_xml(body).tag == "response"
    assert (
        sandbox_parse.parse_request(body.replace(b"response", b"request")) is not None
    )


@pytest.mark.parametrize("encoding", ["iso-8859-1", "cp037", "utf-32"])
def test_other_encodings_are_refused_with_a_clear_reason(encoding):
    body = encode("<response>é</response>", encoding)

    with pytest.raises(parser.ResponseParseError, match="UTF-8|malformed"):
        parser.parse_response(body)
    with pytest.raises(sandbox_parse.ParseError, match="UTF-8|schema error"):
        sandbox_parse.parse_request(body.replace(b"response", b"request"))


# --- the machine endpoints ----------------------------------------------------------


@pytest.mark.django_db
def test_the_webhook_refuses_a_body_over_10_mb_and_stores_nothing(deliver):
    from commerce.models import InboundDelivery

    response = deliver("orders/create", b'{"id": "' + b"9" * TEN_MB + b'"}')

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert not InboundDelivery.objects.exists()


@pytest.mark.django_db
def test_the_webhook_refuses_10_mb_of_nesting_and_stores_nothing(deliver):
    from commerce.models import InboundDelivery

    response = deliver("orders/create", b"[" * 5_000_000 + b"]" * 5_000_000)

    assert response.status_code == 400
    assert not InboundDelivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"records": [{"kind": "order", "pad": "x" * TEN_MB}]}).encode(),
        b"[" * 5_000_000 + b"]" * 5_000_000,
    ],
    ids=["over_the_cap", "nesting_under_the_cap"],
)
def test_the_ingest_api_refuses_10_mb_bodies_and_stores_nothing(ingest, body):
    from commerce.models import SourceRecord

    response = ingest(body)

    assert response.status_code in (400, 413)
    assert response.json()["error"]["message"]
    assert not SourceRecord.objects.exists()
