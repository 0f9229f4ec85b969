"""XML gateway functions: CRUD, reads and paging, sessions, uniqueid, transactions."""

from __future__ import annotations

import httpx
from lxml import etree

from sandbox import make_app, rules

from .conftest import post_xml, results, xml_request


def ok(result) -> etree._Element:
    assert result.findtext("status") == "success", etree.tostring(result).decode()
    return result


def customer(cid: str, name: str = "Name") -> str:
    return (
        f"<create><CUSTOMER><CUSTOMERID>{cid}</CUSTOMERID>"
        f"<NAME>{name}</NAME></CUSTOMER></create>"
    )


def bulk_customers(sandbox, n: int) -> None:
    ctx = sandbox.context()
    with sandbox.store.transaction():
        for i in range(n):
            rules.create(
                ctx, "CUSTOMER", {"CUSTOMERID": f"P{i:04d}", "NAME": f"Page {i}"}
            )


# --- writes ---------------------------------------------------------------------------


def test_create_two_objects_in_one_function(gateway):
    result = ok(
        results(
            gateway(
                "<create><CLASS><CLASSID>UT01</CLASSID><NAME>A</NAME></CLASS>"
                "<CLASS><CLASSID>UT02</CLASSID><NAME>B</NAME></CLASS></create>"
            )
        )[0]
    )
    data = result.find("data")
    assert data.attrib == {"listtype": "objects", "count": "2"}
    assert [c.findtext("CLASSID") for c in data.findall("class")] == ["UT01", "UT02"]
    assert all(c.findtext("RECORDNO").isdigit() for c in data)


def test_update_by_id_and_missing_record(gateway):
    ok(results(gateway(customer("U1")))[0])
    updated = ok(
        results(
            gateway(
                "<update><CUSTOMER><CUSTOMERID>U1</CUSTOMERID><NAME>New</NAME></CUSTOMER></update>"
            )
        )[0]
    )
    assert updated.findtext("data/customer/CUSTOMERID") == "U1"
    missing = results(
        gateway("<update><CLASS><CLASSID>UT99</CLASSID><NAME>x</NAME></CLASS></update>")
    )[0]
    assert missing.findtext("status") == "failure"
    assert missing.findtext("errormessage/error/errorno") == (
        "Cannot update non-existing CLASS with CLASSID=UT99."
    )


def test_delete_and_read(gateway):
    recordno = ok(results(gateway(customer("D1")))[0]).findtext(
        "data/customer/RECORDNO"
    )
    read = ok(
        results(
            gateway(
                f"<read><object>CUSTOMER</object><keys>{recordno}</keys><fields>*</fields></read>"
            )
        )[0]
    )
    assert read.find("data").get("listtype") == "customer"
    assert read.findtext("data/customer/CUSTOMERID") == "D1"
    by_name = ok(
        results(
            gateway(
                "<readByName><object>CUSTOMER</object><keys>D1</keys><fields>NAME,RECORDNO</fields></readByName>"
            )
        )[0]
    )
    assert [c.tag for c in by_name.find("data/customer")] == ["NAME", "RECORDNO"]
    deleted = ok(
        results(
            gateway(
                f"<delete><object>CUSTOMER</object><keys>{recordno}</keys></delete>"
            )
        )[0]
    )
    assert deleted.find("data") is None
    gone = ok(
        results(
            gateway(f"<read><object>CUSTOMER</object><keys>{recordno}</keys></read>")
        )[0]
    )
    assert gone.find("data").get("count") == "0"


# --- readByQuery / readMore / query ---------------------------------------------------


def test_readbyquery_and_readmore_reach_the_last_page(gateway, sandbox):
    bulk_customers(sandbox, 2345)
    first = ok(
        results(
            gateway(
                "<readByQuery><object>CUSTOMER</object>"
                "<query>CUSTOMERID like 'P%'</query>"
                "<fields>CUSTOMERID</fields><pagesize>1000</pagesize></readByQuery>"
            )
        )[0]
    )
    data = first.find("data")
    assert (data.get("count"), data.get("totalcount"), data.get("numremaining")) == (
        "1000",
        "2345",
        "1345",
    )
    result_id, seen = data.get("resultId"), [c.text for c in data.iter("CUSTOMERID")]
    while True:
        page = ok(
            results(gateway(f"<readMore><resultId>{result_id}</resultId></readMore>"))[
                0
            ]
        )
        data = page.find("data")
        assert data.get("resultId") == result_id
        seen += [c.text for c in data.iter("CUSTOMERID")]
        if data.get("numremaining") == "0":
            break
    assert data.get("count") == "345"
    assert seen == [f"P{i:04d}" for i in range(2345)]
    expired = results(
        gateway(f"<readMore><resultId>{result_id}</resultId></readMore>")
    )[0]
    assert expired.findtext("errormessage/error/errorno") == "readMore failed"


def test_readbyquery_pagesize_is_capped_at_1000(gateway):
    result = results(
        gateway(
            "<readByQuery><object>CUSTOMER</object><query/><pagesize>1001</pagesize></readByQuery>"
        )
    )[0]
    assert result.findtext("status") == "failure"


def test_readbyquery_operators(gateway, sandbox):
    bulk_customers(sandbox, 30)
    query = (
        "(CUSTOMERID in ('P0001','P0002','P0003') OR NAME = 'Page 20') "
        "AND NOT CUSTOMERID = 'P0002' AND RECORDNO >= 1 AND PARENTID IS NULL"
    )
    data = ok(
        results(
            gateway(
                f"<readByQuery><object>CUSTOMER</object><query>{query}</query></readByQuery>"
            )
        )[0]
    ).find("data")
    assert sorted(c.text for c in data.iter("CUSTOMERID")) == [
        "P0001",
        "P0003",
        "P0020",
    ]


def test_query_pages_with_offset_to_the_last_page(gateway, sandbox):
    bulk_customers(sandbox, 4100)
    seen, offset = [], 0
    while True:
        data = ok(
            results(
                gateway(
                    "<query><object>CUSTOMER</object><select><field>CUSTOMERID</field></select>"
                    "<filter><like><field>CUSTOMERID</field><value>P%</value></like></filter>"
                    "<orderby><order><field>CUSTOMERID</field><descending/></order></orderby>"
                    f"<pagesize>2000</pagesize><offset>{offset}</offset></query>"
                )
            )[0]
        ).find("data")
        assert data.get("listtype") == "CUSTOMER" and data.get("totalcount") == "4100"
        seen += [c.text for c in data.iter("CUSTOMERID")]
        offset += int(data.get("count"))
        if data.get("numremaining") == "0":
            break
    assert seen == [f"P{i:04d}" for i in reversed(range(4100))]


def test_query_filters_and_limits(gateway):
    gateway(customer("Q1", "alpha"), customer("Q2", "Beta"), customer("Q3", "gamma"))
    filt = (
        "<or><equalto><field>NAME</field><value>BETA</value></equalto>"
        "<in><field>CUSTOMERID</field><value>Q3</value><value>QX</value></in></or>"
    )
    data = ok(
        results(
            gateway(
                "<query><object>CUSTOMER</object><select><field>CUSTOMERID</field></select>"
                f"<filter>{filt}</filter><options><caseinsensitive>true</caseinsensitive></options></query>"
            )
        )[0]
    ).find("data")
    assert sorted(c.text for c in data.iter("CUSTOMERID")) == ["Q2", "Q3"]
    too_big, star = results(
        gateway(
            "<query><object>CUSTOMER</object><select><field>RECORDNO</field></select><pagesize>2001</pagesize></query>",
            "<query><object>CUSTOMER</object><select><field>*</field></select></query>",
        )
    )
    assert too_big.findtext("status") == star.findtext("status") == "failure"


def test_lookup_and_get_dimensions(gateway):
    lookup, dims = results(
        gateway("<lookup><object>CUSTOMER</object></lookup>", "<getDimensions/>")
    )
    assert ok(lookup).find("data/Type").get("Name") == "CUSTOMER"
    names = [d.findtext("objectName") for d in ok(dims).iter("dimension")]
    assert {"LOCATION", "DEPARTMENT", "CLASS", "CHANNEL"} <= set(names)
    udd = [d for d in dims.iter("dimension") if d.findtext("objectName") == "CHANNEL"][
        0
    ]
    assert udd.findtext("userDefinedDimension") == "true"


# --- sessions -------------------------------------------------------------------------


def session_for(gateway, **options) -> tuple[str, str]:
    api = ok(results(gateway("<getAPISession/>", **options))[0]).find("data/api")
    return api.findtext("sessionid"), api.findtext("endpoint")


def test_endpoint_honours_the_mount_prefix(sandbox, creds):
    def mounted(environ, start_response):
        # What a WSGI host mounting the sandbox at /sandbox does.
        path = environ["PATH_INFO"]
        environ["SCRIPT_NAME"], environ["PATH_INFO"] = (
            "/sandbox",
            path[len("/sandbox") :],
        )
        return make_app(sandbox)(environ, start_response)

    transport = httpx.WSGITransport(app=mounted)
    with httpx.Client(
        transport=transport, base_url="https://hub.example:8443"
    ) as client:
        root = post_xml(
            client,
            xml_request(creds, "<getAPISession/>"),
            "/sandbox/ia/xml/xmlgw.phtml",
        )
    endpoint = root.findtext("operation/result/data/api/endpoint")
    assert endpoint == "https://hub.example:8443/sandbox/ia/xml/xmlgw.phtml"


def test_session_works_slides_and_expires(gateway, sandbox, creds):
    session_id, _ = session_for(gateway)
    assert session_id.endswith("..")
    root = gateway(customer("S1"), session_id=session_id)
    auth = root.find("operation/authentication")
    assert auth.findtext("status") == "success"
    assert auth.findtext("userid") == creds["user_id"]
    ok(results(root)[0])

    ttl = sandbox.company().session_ttl
    sandbox.clock.advance(ttl - 60)  # still alive, and this call slides it
    ok(results(gateway(customer("S2"), session_id=session_id))[0])
    sandbox.clock.advance(ttl - 60)
    ok(results(gateway(customer("S3"), session_id=session_id))[0])

    sandbox.clock.advance(ttl + 1)
    expired = gateway(customer("S4"), session_id=session_id)
    assert expired.findtext("operation/authentication/status") == "failure"
    assert expired.findtext("operation/errormessage/error/errorno") == "XL03000006"

    fresh, _ = session_for(gateway)  # re-login
    ok(results(gateway(customer("S4"), session_id=fresh))[0])


def test_expire_sessions_control(gateway, sandbox):
    session_id, _ = session_for(gateway)
    assert sandbox.expire_sessions() >= 1
    root = gateway(customer("X1"), session_id=session_id)
    assert root.findtext("operation/authentication/status") == "failure"


def test_entity_session_and_scoping(gateway, sandbox):
    session_id, _ = session_for(gateway, entity="100")
    root = gateway(customer("ENT-1"), session_id=session_id)
    assert root.findtext("operation/authentication/locationid") == "100"
    ok(results(root)[0])
    other, _ = session_for(gateway, entity="200")
    read = gateway(
        "<readByName><object>CUSTOMER</object><keys>ENT-1</keys></readByName>",
        session_id=other,
    )
    assert results(read)[0].find("data").get("count") == "0"
    top = gateway(
        "<readByName><object>CUSTOMER</object><keys>ENT-1</keys></readByName>"
    )
    assert results(top)[0].find("data").get("count") == "1"


# --- uniqueid and transactions --------------------------------------------------------


def test_uniqueid_true_never_runs_a_controlid_twice(gateway, sandbox, creds):
    first = gateway(("same-id", customer("UQ1")), uniqueid="true")
    ok(results(first)[0])
    again = gateway(("same-id", customer("UQ2")), uniqueid="true")
    failed = results(again)[0]
    assert failed.findtext("status") == "failure"
    assert (
        failed.findtext("errormessage/error/errorno")
        == sandbox.config.duplicate_controlid_errorno
    )
    assert sandbox.store.get_by_id(creds["company_id"], "CUSTOMER", "UQ2") is None
    assert sandbox.counts()["_rejected_duplicates"][creds["company_id"]] == 1


def test_uniqueid_default_is_true_and_false_allows_repeats(gateway, sandbox, creds):
    ok(results(gateway(("rep", customer("R1")), uniqueid=None))[0])
    assert (
        results(gateway(("rep", customer("R2")), uniqueid=None))[0].findtext("status")
        == "failure"
    )
    ok(results(gateway(("rep", customer("R3")), uniqueid="false"))[0])


def test_failed_function_does_not_burn_its_controlid(gateway):
    failed = results(
        gateway(
            (
                "retry",
                "<create><CUSTOMER><CUSTOMERID>F1</CUSTOMERID></CUSTOMER></create>",
            ),
            uniqueid="true",
        )
    )[0]
    assert failed.findtext("status") == "failure"
    ok(results(gateway(("retry", customer("F1")), uniqueid="true"))[0])


def test_transaction_true_rolls_back_and_aborts_the_rest(gateway, sandbox, creds):
    root = gateway(
        customer("T1"),
        "<create><CUSTOMER><CUSTOMERID>T2</CUSTOMERID></CUSTOMER></create>",
        customer("T3"),
        transaction=True,
    )
    statuses = [r.findtext("status") for r in results(root)]
    assert statuses == ["aborted", "failure", "aborted"]
    for result in results(root):
        assert result.findall("errormessage/error/errorno")[-1].text == "XL03000009"
    assert results(root)[0].find("data") is None
    for cid in ("T1", "T3"):
        assert sandbox.store.get_by_id(creds["company_id"], "CUSTOMER", cid) is None


def test_transaction_true_commits_when_all_succeed(gateway, sandbox, creds):
    root = gateway(customer("TA"), customer("TB"), transaction=True)
    assert [r.findtext("status") for r in results(root)] == ["success", "success"]
    assert sandbox.store.get_by_id(creds["company_id"], "CUSTOMER", "TB") is not None


# --- legacy functions -----------------------------------------------------------------


INVOICE = (
    "<create_invoice><customerid>WEB-GUEST</customerid>"
    "<datecreated><year>2025</year><month>06</month><day>30</day></datecreated>"
    "<datedue><year>2025</year><month>07</month><day>30</day></datedue>"
    "<invoiceno>INV-9</invoiceno>"
    "<invoiceitems><lineitem><glaccountno>4000</glaccountno><amount>100</amount>"
    "<locationid>110</locationid><departmentid>SALES</departmentid><classid>ONLINE</classid>"
    "<gldimchannel>SHOPIFY</gldimchannel></lineitem></invoiceitems></create_invoice>"
)


def test_invoice_adjustment_and_reversal(gateway, sandbox, creds):
    key = ok(results(gateway(INVOICE))[0]).findtext("key")
    adjustment = ok(
        results(
            gateway(
                "<create_aradjustment><customerid>WEB-GUEST</customerid>"
                "<datecreated><year>2025</year><month>07</month><day>02</day></datecreated>"
                "<adjustmentno>CM-1</adjustmentno><invoiceno>INV-9</invoiceno>"
                "<aradjustmentitems><lineitem><glaccountno>4950</glaccountno><amount>-25</amount>"
                "</lineitem></aradjustmentitems></create_aradjustment>"
            )
        )[0]
    )
    assert adjustment.findtext("key").isdigit()
    reverse = ok(
        results(
            gateway(
                f'<reverse_invoice key="{key}"><datereversed>'
                "<year>2025</year><month>07</month>"
                "<day>03</day></datereversed></reverse_invoice>"
            )
        )[0]
    )
    assert reverse.findtext("key") == key
    invoice = sandbox.store.get(creds["company_id"], "ARINVOICE", key)
    assert (invoice["STATE"], invoice["TOTALDUE"]) == ("Reversed", "0.00")
    twice = results(gateway(f'<reverse_invoice key="{key}"/>'))[0]
    assert twice.findtext("status") == "failure"


def adjustment_of(invoice_no):
    return (
        "<create_aradjustment><customerid>WEB-GUEST</customerid>"
        "<datecreated><year>2025</year><month>07</month><day>02</day></datecreated>"
        f"<adjustmentno>CM-{invoice_no}</adjustmentno><invoiceno>{invoice_no}</invoiceno>"
        "<aradjustmentitems><lineitem><glaccountno>4950</glaccountno><amount>-25</amount>"
        "</lineitem></aradjustmentitems></create_aradjustment>"
    )


def test_an_adjustment_must_name_an_invoice_that_exists(gateway):
    ok(results(gateway(INVOICE))[0])

    refused = results(gateway(adjustment_of("INV-404")))[0]

    assert refused.findtext("status") == "failure"
    assert "INV-404" in refused.findtext("errormessage/error/description2")
    # The query filter's equality, not only the exact text, finds the invoice.
    numbered = INVOICE.replace("INV-9", "1042")
    ok(results(gateway(numbered))[0])
    ok(results(gateway(adjustment_of("01042")))[0])


def test_generic_read_returns_line_items(gateway):
    key = ok(results(gateway(INVOICE))[0]).findtext("key")
    row = ok(
        results(
            gateway(
                f"<read><object>ARINVOICE</object><keys>{key}</keys><fields>*</fields></read>"
            )
        )[0]
    )
    lines = row.findall("data/arinvoice/ARINVOICEITEMS/arinvoiceitem")
    assert [line.findtext("GLDIMCHANNEL") for line in lines] == ["SHOPIFY"]
    header = ok(
        results(
            gateway(
                "<readByQuery><object>ARINVOICE</object>"
                f"<query>RECORDNO = {key}</query></readByQuery>"
            )
        )[0]
    )
    assert header.find("data/arinvoice/ARINVOICEITEMS") is None
