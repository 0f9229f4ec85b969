"""XML requests are built safely and responses parsed defensively."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from sync.intacct import errors
from sync.intacct.xmlgw import builder, parser

FIXTURES = Path("/work/shared/intacct/fixtures/xml")
NASTY = "Ünïcode 🚀 שלום & < > ]]> \" ' done"


def _fixture(name: str) -> bytes:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"fixture {name} not present")
    return path.read_bytes()


def test_it_escapes_xml_specials_and_unicode_round_trip():
    fn = builder.generic_write(
        "create", "CUSTOMER", {"CUSTOMERID": "C1", "NAME": NASTY}, controlid="k" * 32
    )
    body = builder.build_request(
        sender_id="s", sender_password="p", functions=[fn], session_id="sess.."
    )
    root = etree.fromstring(body)
    assert root.findtext("operation/content/function/create/CUSTOMER/NAME") == NASTY
    assert root.find("operation/content/function").get("controlid") == "k" * 32
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_it_writes_the_control_block_and_login():
    body = builder.build_request(
        sender_id="snd",
        sender_password="pw",
        functions=[builder.function("getAPISession", controlid="c1")],
        login={"userid": "u", "companyid": "co", "password": "up"},
        uniqueid=True,
        transaction=True,
    )
    root = etree.fromstring(body)
    assert [c.tag for c in root.find("control")] == [
        "senderid",
        "password",
        "controlid",
        "uniqueid",
        "dtdversion",
        "includewhitespace",
    ]
    assert root.findtext("control/uniqueid") == "true"
    assert root.find("operation").get("transaction") == "true"
    assert root.findtext("operation/authentication/login/companyid") == "co"


def test_it_parses_a_recorded_create_response():
    doc = parser.parse_response(_fixture("Save-Object.create.xml"))
    assert doc.control_status == "success"
    [result] = doc.results
    assert result.ok and result.function == "create"
    row = next(result.rows())
    assert row["RECORDNO"]


def test_it_parses_a_recorded_session_with_its_timeout():
    doc = parser.parse_response(_fixture("Create-Session.Response.xml"))
    assert doc.session_timeout and doc.session_timestamp
    api = doc.results[0].data.find("api")
    assert api.findtext("sessionid").endswith("..")


def test_it_parses_a_recorded_legacy_key():
    doc = parser.parse_response(_fixture("Create-Attachment.Response.xml"))
    assert doc.results[0].key == "35"


def test_it_reads_paging_attributes_of_a_recorded_query():
    doc = parser.parse_response(_fixture("Find-IntacctObject.Response.xml"))
    result = doc.results[0]
    assert result.attr("numremaining") == "815"
    assert result.attr("resultId")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<response><control><status>&lol2;</status></control></response>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<response><control><status>&xxe;</status></control></response>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["laughs", "xxe"])
def test_it_rejects_entity_attacks(body):
    with pytest.raises(parser.ResponseParseError):
        parser.parse_response(body)


def test_it_refuses_oversize_bodies():
    with pytest.raises(parser.ResponseParseError):
        parser.parse_xml(b"<response>" + b" " * 100 + b"</response>", limit=50)


def test_control_level_failure_becomes_a_typed_error():
    body = b"""<response><control><status>failure</status></control>
    <errormessage><error><errorno>XL03000006</errorno><description></description>
    <description2>Incorrect Intacct XML Partner ID or password.
    [Support ID: ab%7Ecd]</description2>
    <correction></correction></error></errormessage></response>"""
    doc = parser.parse_response(body)
    error = errors.from_xml_errors(doc.errors)
    assert isinstance(error, errors.AuthError)
    assert error.support_id == "ab%7Ecd"
    assert not error.retryable


def test_a_duplicate_function_failure_is_a_duplicate_record():
    body = b"""<response><control><status>success</status></control><operation>
    <authentication><status>success</status></authentication>
    <result><status>failure</status><function>create</function><controlid>f</controlid>
    <data listtype="objects" count="0"/><errormessage>
    <error><errorno>BL34000061</errorno><description></description>
    <description2>Another Class with the given value(s) UT01  already exists
    </description2>
    <correction>Use a unique value instead.</correction></error>
    <error><errorno>BL01001973</errorno>
    <description2>Could not create class record!</description2></error>
    </errormessage></result></operation></response>"""
    result = parser.parse_response(body).results[0]
    error = errors.from_xml_errors(result.errors)
    assert isinstance(error, errors.DuplicateRecord)
    assert error.errorno == "BL34000061"
    assert error.correction == "Use a unique value instead."


@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs",), blacklist_characters="\x00"
        ),
        max_size=80,
    ).filter(lambda t: all(c in "\t\n\r" or ord(c) >= 0x20 for c in t))
)
def test_any_xml_text_round_trips(value):
    fn = builder.generic_write("create", "CUSTOMER", {"NAME": value}, controlid="c")
    body = builder.build_request(
        sender_id="s", sender_password="p", functions=[fn], session_id="x.."
    )
    parsed = parser.parse_xml(body)
    text = parsed.findtext("operation/content/function/create/CUSTOMER/NAME") or ""
    assert text == value


def test_nul_and_control_characters_are_refused_not_sent_corrupt():
    with pytest.raises(ValueError):
        builder.generic_write("create", "CUSTOMER", {"NAME": "a\x00b"}, controlid="c")
