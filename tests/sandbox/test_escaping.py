"""Names with XML specials, emoji and non-Latin scripts round-trip unchanged."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from sandbox import Sandbox, demo_credentials, make_app

from .conftest import post_xml, results, xml_request

NASTY = [
    'Tom & Jerry\'s <"Cheese"> ]]> shop',
    "<![CDATA[not cdata]]>",
    "Ünïcödé Straße 😀🧾",
    "日本語の会社",
    "شركة عربية",
    "Ελληνικά & Кириллица",
    "  leading and trailing  ",
    "&amp; already escaped &lt;",
]


def create(cid: str, name: str) -> etree._Element:
    obj = etree.Element("CUSTOMER")
    etree.SubElement(obj, "CUSTOMERID").text = cid
    etree.SubElement(obj, "NAME").text = name
    contact = etree.SubElement(obj, "DISPLAYCONTACT")
    etree.SubElement(contact, "PRINTAS").text = name
    wrapper = etree.Element("create")
    wrapper.append(obj)
    return wrapper


def read_back(cid: str) -> etree._Element:
    fn = etree.Element("readByName")
    etree.SubElement(fn, "object").text = "CUSTOMER"
    etree.SubElement(fn, "keys").text = cid
    return fn


def test_specials_round_trip_through_create_and_read(gateway):
    for index, name in enumerate(NASTY):
        cid = f"ESC-{index}"
        created, read = results(gateway(create(cid, name), read_back(cid)))
        assert created.findtext("status") == "success"
        row = read.find("data/customer")
        assert row.findtext("NAME") == name
        assert row.findtext("DISPLAYCONTACT/PRINTAS") == name


def test_specials_in_ids_and_queries(gateway):
    cid = "O'Brien & <Co>"
    assert results(gateway(create(cid, "x")))[0].findtext("status") == "success"
    fn = etree.Element("readByQuery")
    etree.SubElement(fn, "object").text = "CUSTOMER"
    etree.SubElement(fn, "query").text = "CUSTOMERID = 'O\\'Brien & <Co>'"
    data = results(gateway(fn))[0].find("data")
    assert data.get("count") == "1"
    assert data.findtext("customer/CUSTOMERID") == cid


def test_control_characters_written_elsewhere_still_give_well_formed_xml(
    gateway, sandbox
):
    ctx = sandbox.context()
    from sandbox import rules

    rules.create(ctx, "CUSTOMER", {"CUSTOMERID": "NUL", "NAME": "bad\x00byte\x1f"})
    row = results(gateway(read_back("NUL")))[0].find("data/customer")
    assert row.findtext("NAME") == "bad\ufffdbyte\ufffd"


_XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\ufffe\uffff\r",
        min_codepoint=0x20,
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_XML_TEXT)
def test_any_xml_text_round_trips(name):
    creds = demo_credentials()
    sandbox = Sandbox()
    with httpx.Client(
        transport=httpx.WSGITransport(app=make_app(sandbox)), base_url="https://t"
    ) as client:
        body = xml_request(creds, create("H1", name), read_back("H1"))
        created, read = results(post_xml(client, body))
    assert created.findtext("status") == "success"
    assert read.findtext("data/customer/NAME") == name
    sandbox.close()
