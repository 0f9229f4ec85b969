"""Property tests over both XML parsers (issue 9, "Proof").

The client's response parser (``sync.intacct.xmlgw.parser``) raises nothing but
``ResponseParseError`` on any bytes, and what it does parse reads into typed errors;
the gateway wraps that error as ``TransportError``/``OutcomeUnknown``. The sandbox's
request parser answers any bytes over HTTP with a proper Intacct response (HTTP 200
with a failure, or 4xx), never a 500. Text goes builder → parser unchanged, except
what XML 1.0 cannot carry, which the builder refuses with ``XmlTextError``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from sandbox.xml.parse import ParseError, parse_request, to_value
from sync.intacct import errors
from sync.intacct.xmlgw import builder, parser
from sync.intacct.xmlgw.builder import NOT_XML_CHAR, XmlTextError

from .conftest import post_raw, xml_request

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- valid envelopes to mutate ------------------------------------------------------

SUCCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<response><control><status>success</status><senderid>s</senderid>
<controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion>
</control><operation><authentication><status>success</status><userid>u</userid>
<companyid>co</companyid><sessiontimestamp>2026-01-01T00:00:00+00:00</sessiontimestamp>
<sessiontimeout>2026-01-01T01:00:00+00:00</sessiontimeout></authentication>
<result><status>success</status><function>readByQuery</function>
<controlid>f1</controlid><data listtype="customer" count="2" numremaining="0">
<customer><RECORDNO>1</RECORDNO><NAME>A &amp; B</NAME></customer>
<customer><RECORDNO>2</RECORDNO><NAME>&lt;C&gt;</NAME><X><Y>1</Y><Y>2</Y></X></customer>
</data></result><result><status>failure</status><function>create</function>
<controlid>f2</controlid><errormessage><error><errorno>BL34000061</errorno>
<description></description><description2>Another Customer exists
[Support ID: a%7Eb]</description2><correction>Use another</correction></error>
</errormessage></result></operation></response>"""

CONTROL_FAILURE = b"""<response><control><status>failure</status></control>
<errormessage><error><errorno>XL03000006</errorno><description2>Bad sender
</description2></error></errormessage></response>"""

AUTH_FAILURE = b"""<response><control><status>success</status></control><operation>
<authentication><status>failure</status></authentication><errormessage><error>
<errorno>XL03000006</errorno><description2>Sign-in information is incorrect
</description2></error></errormessage></operation></response>"""

ENVELOPES = [SUCCESS, CONTROL_FAILURE, AUTH_FAILURE]

EDITS = st.tuples(
    st.sampled_from(["delete", "insert", "replace", "duplicate"]),
    st.integers(0, 2000),
    st.integers(1, 40),
    st.binary(min_size=1, max_size=12)
    | st.sampled_from(
        [b"<", b">", b"&", b"&amp;", b"]]>", b"<!DOCTYPE r>", b"<!ENTITY a 'b'>",
         b"\x00", b"\xff\xfe", b"</response>", b"<?xml version='1.0'?>",
         b"<![CDATA[x]]>", b"&#0;", b"&#x1F600;", b"&#xD800;", b'"', b"<data>"]
    ),
)  # fmt: skip


def mutate(body: bytes, edits) -> bytes:
    """Apply byte-level edits (deletions, insertions, overwrites, duplications)."""
    data = bytearray(body)
    for op, at, length, chunk in edits:
        at %= len(data) + 1
        if op == "delete":
            del data[at : at + length]
        elif op == "insert":
            data[at:at] = chunk
        elif op == "replace":
            data[at : at + len(chunk)] = chunk
        else:
            data[at:at] = data[at : at + length]
        if not data:
            data = bytearray(b"<")
    return bytes(data)


MUTATED_RESPONSES = st.tuples(
    st.sampled_from(ENVELOPES), st.lists(EDITS, min_size=1, max_size=4)
).map(lambda t: mutate(*t))


def read_everything(response: parser.Response) -> None:
    """Use a parsed response the way the client does; only typed errors may come."""
    if response.errors:
        assert isinstance(errors.from_xml_errors(response.errors), errors.IntacctError)
    for result in response.results:
        list(result.rows())
        result.attr("numremaining")
        if result.errors:
            error = errors.from_xml_errors(result.errors)
            assert isinstance(error, errors.IntacctError)
    response.by_controlid()


# --- the client's response parser ---------------------------------------------------


@SETTINGS
@given(body=st.binary(max_size=400) | MUTATED_RESPONSES)
@example(body=b"<response>" + b"<a>" * 300 + b"</a>" * 300 + b"</response>")
@example(body="<?xml version='1.0' encoding='UTF-16'?><response/>".encode("utf-16"))
@example(body=b"<response><operation><result><data>&#xD800;</data></result>")
@example(body=b"<response><operation><authentication/><result/></operation></response>")
def test_the_client_parser_raises_only_its_own_error(body):
    try:
        response = parser.parse_response(body)
    except parser.ResponseParseError as exc:
        assert str(exc)
        return
    read_everything(response)


@SETTINGS
@given(body=MUTATED_RESPONSES)
def test_the_client_parser_never_lets_a_dtd_through(body):
    try:
        root = parser.parse_xml(body)
    except parser.ResponseParseError:
        return
    info = root.getroottree().docinfo
    assert not info.doctype and info.internalDTD is None
    assert not any(isinstance(e, etree._Entity) for e in root.iter())


# --- arbitrary trees built with the builder -----------------------------------------

TAGS = st.sampled_from(
    ["status", "result", "data", "RECORDNO", "errormessage", "error", "errorno"]
    + ["description2", "control", "key", "x"]
)
TREES = st.recursive(
    st.text(max_size=10).filter(lambda t: not NOT_XML_CHAR.search(t)) | st.none(),
    lambda kids: st.dictionaries(TAGS, kids | st.lists(kids, max_size=3), max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(tree=TREES)
def test_any_well_formed_response_tree_parses_into_typed_parts(tree):
    body = etree.tostring(builder.element("response", tree))

    response = parser.parse_response(body)

    read_everything(response)


# --- builder -> parser round trip ---------------------------------------------------


@SETTINGS
@given(text=st.text(max_size=60))
@example(text="a\r\nb\rc")
@example(text="\x00")
@example(text="\ud83d")  # half of an emoji's surrogate pair
@example(text="]]> <b>&amp;</b> \"'")
def test_builder_text_round_trips_exactly_or_is_refused(text):
    if NOT_XML_CHAR.search(text):
        try:
            builder.generic_write("create", "CUSTOMER", {"NAME": text}, controlid="c")
        except XmlTextError as exc:
            assert not exc.retryable and "XML cannot carry" in str(exc)
            return
        raise AssertionError(f"{text!r} was accepted")
    fn = builder.generic_write(
        "create", "CUSTOMER", {"NAME": text, "@note": text}, controlid="c"
    )
    body = builder.build_request(
        sender_id="s", sender_password="p", functions=[fn], session_id="x.."
    )

    client_view = parser.parse_xml(body).find("operation/content/function/create")
    sandbox_view = parse_request(body).find("operation/content/function/create")

    for view in (client_view, sandbox_view):
        assert (view.findtext("CUSTOMER/NAME") or "") == text
        assert view.find("CUSTOMER").get("note") == text
    assert to_value(sandbox_view.find("CUSTOMER"))["NAME"] == text


# --- the sandbox's request parser, over HTTP ----------------------------------------


def sandbox_answer(http, body: bytes):
    """POST `body`; the answer must be a proper Intacct response, never a 500."""
    response = post_raw(http, body)
    assert response.status_code in (200, 400, 413), response.status_code
    parsed = parser.parse_response(response.content)  # raises if it is not one
    if response.status_code != 200 or parsed.control_status == "failure":
        assert parsed.errors and all(e.errorno for e in parsed.errors)
    return response, parsed


@SETTINGS
@given(body=st.binary(max_size=400))
@example(body=b"")
@example(body=b"<request/>")
@example(body=b"<request><control/></request>")
@example(body=b"<request><operation><content><function/></content></operation>")
def test_the_sandbox_answers_arbitrary_bytes_with_an_intacct_error(http, body):
    response, parsed = sandbox_answer(http, body)

    assert parsed.control_status == "failure" or response.status_code != 200


def valid_request(creds) -> bytes:
    create = etree.Element("create")
    customer = etree.SubElement(create, "CUSTOMER")
    etree.SubElement(customer, "CUSTOMERID").text = "PROP-1"
    etree.SubElement(customer, "NAME").text = "Prop & <Co>"
    read = etree.Element("readByQuery")
    etree.SubElement(read, "object").text = "CUSTOMER"
    etree.SubElement(read, "query").text = "CUSTOMERID = 'PROP-1'"
    etree.SubElement(read, "pagesize").text = "10"
    return xml_request(creds, create, read)


@SETTINGS
@given(edits=st.lists(EDITS, min_size=1, max_size=4))
@example(edits=[("replace", 0, 1, b"<!DOCTYPE request>")])
@example(edits=[("delete", 300, 40, b"x")])
def test_the_sandbox_answers_mutated_requests_with_an_intacct_response(
    http, creds, edits
):
    body = mutate(valid_request(creds), edits)

    response, parsed = sandbox_answer(http, body)

    for result in parsed.results:
        assert result.status in ("success", "failure", "aborted")
        if result.status != "success":
            assert result.errors


def test_the_unmutated_request_succeeds(http, creds):
    """The base of the mutations is valid: mutations are what make requests fail."""
    _, parsed = sandbox_answer(http, valid_request(creds))

    assert [r.status for r in parsed.results] == ["success", "success"]


def test_sandbox_parse_errors_are_typed():
    for body in (b"", b"<a>", b"<request>&x;</request>", b"<other/>"):
        try:
            parse_request(body)
        except ParseError as exc:
            assert str(exc).startswith("XML Parse schema error")
        else:
            raise AssertionError(body)
