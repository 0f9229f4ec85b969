"""Inventory transactions (ICDOCUMENT): legacy create_ictransaction, generic reads,
and the REST ``inventory-control/document::<type>`` object."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from sandbox import DEMO_COMPANY
from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)

from .conftest import post_xml, results, xml_request

ADJUSTMENTS = "objects/inventory-control/document::Inventory Adjustment"


def ictransaction(
    docno: str = "ADJ-1",
    item: str = "SKU-1001",
    warehouse: str = "WH-US",
    quantity: str = "-2",
    cost: str | None = "10.005",
    transaction_type: str = "Inventory Adjustment",
) -> str:
    cost_xml = f"<cost>{cost}</cost>" if cost is not None else ""
    return (
        "<create_ictransaction>"
        f"<transactiontype>{transaction_type}</transactiontype>"
        "<datecreated><year>2024</year><month>06</month><day>02</day></datecreated>"
        f"<documentno>{docno}</documentno>"
        "<referenceno>WMS-77</referenceno>"
        "<message>Crushed in transit</message>"
        "<ictransitems><ictransitem>"
        f"<itemid>{item}</itemid><itemdesc>damaged</itemdesc>"
        f"<warehouseid>{warehouse}</warehouseid>"
        f"<quantity>{quantity}</quantity><unit>Each</unit>{cost_xml}"
        "<locationid>110</locationid>"
        "</ictransitem></ictransitems>"
        "</create_ictransaction>"
    )


def one(root) -> etree._Element:
    (result,) = results(root)
    return result


def error_numbers(result) -> list[str]:
    return [e.findtext("errorno") for e in result.findall("errormessage/error")]


# --- XML ------------------------------------------------------------------------------


def test_create_ictransaction_stores_and_answers_the_document_id(gateway, sandbox):
    result = one(gateway(ictransaction()))
    assert result.findtext("status") == "success", etree.tostring(result)
    assert result.findtext("key") == "Inventory Adjustment-ADJ-1"
    (row,), _ = sandbox.store.select(DEMO_COMPANY, "ICDOCUMENT")
    assert (row["DOCPARID"], row["DOCNO"], row["WHENCREATED"]) == (
        "Inventory Adjustment",
        "ADJ-1",
        "06/02/2024",
    )
    assert (row["PONUMBER"], row["MESSAGE"]) == ("WMS-77", "Crushed in transit")
    (line,) = row["ICDOCUMENTENTRIES"]
    assert (line["ITEMID"], line["WAREHOUSEID"], line["QUANTITY"]) == (
        "SKU-1001",
        "WH-US",
        "-2",
    )
    # Costs are rounded half-up to cents; the extended cost follows.
    assert (line["COST"], line["TOTAL"], row["TOTAL"]) == ("10.01", "-20.02", "-20.02")
    assert line["UNIT"] == "Each" and line["LOCATIONID"] == "110"


def test_find_by_document_number_and_read_back(gateway):
    gateway(ictransaction("ADJ-7"))
    query = (
        "<query><object>ICDOCUMENT</object><select><field>RECORDNO</field>"
        "<field>DOCID</field><field>DOCNO</field></select><filter><and>"
        "<equalto><field>DOCPARID</field><value>Inventory Adjustment</value></equalto>"
        "<in><field>DOCNO</field><value>ADJ-7</value><value>none</value></in>"
        "</and></filter></query>"
    )
    result = one(gateway(query))
    assert result.findtext("status") == "success", etree.tostring(result)
    (hit,) = result.findall("data/ICDOCUMENT")
    assert hit.findtext("DOCID") == "Inventory Adjustment-ADJ-7"
    recordno = hit.findtext("RECORDNO")
    read = one(
        gateway(
            f"<read><object>ICDOCUMENT</object><keys>{recordno}</keys>"
            "<fields>*</fields></read>"
        )
    )
    doc = read.find("data/icdocument")
    entry = doc.find("ICDOCUMENTENTRIES/icdocumententry")
    assert entry.findtext("ITEMID") == "SKU-1001"
    by_query = one(
        gateway(
            "<readByQuery><object>INVDOCUMENT</object><fields>DOCNO</fields>"
            "<query>DOCNO = 'ADJ-7'</query><docparid>Inventory Adjustment</docparid>"
            "</readByQuery>"
        )
    )
    assert [d.findtext("DOCNO") for d in by_query.iter("icdocument")] == ["ADJ-7"]


def test_generic_create_of_the_document(gateway, sandbox):
    result = one(
        gateway(
            "<create><ICDOCUMENT><DOCPARID>Adjustment Increase</DOCPARID>"
            "<WHENCREATED>2024-06-03</WHENCREATED><ICDOCUMENTENTRIES>"
            "<icdocumententry><ITEMID>SKU-1002</ITEMID><WAREHOUSEID>WH-UK"
            "</WAREHOUSEID><QUANTITY>4</QUANTITY></icdocumententry>"
            "</ICDOCUMENTENTRIES></ICDOCUMENT></create>"
        )
    )
    assert result.findtext("status") == "success", etree.tostring(result)
    docid = result.findtext("data/icdocument/DOCID")
    assert docid.startswith("Adjustment Increase-ADJ")
    row = sandbox.store.get_by_id(DEMO_COMPANY, "ICDOCUMENT", docid)
    assert row["ICDOCUMENTENTRIES"][0]["COST"] == "0.00"


def test_unknown_item_or_warehouse_is_rejected(gateway, sandbox):
    for kind, call, value in (
        ("Item", ictransaction(item="NOPE"), "NOPE"),
        ("Warehouse", ictransaction(warehouse="WH-XX"), "WH-XX"),
    ):
        result = one(gateway(call))
        assert result.findtext("status") == "failure"
        assert error_numbers(result)[-1] == "BL01001973"
        text = etree.tostring(result, encoding="unicode")
        assert value in text and kind in text
    assert sandbox.store.count(DEMO_COMPANY, "ICDOCUMENT") == 0


def test_required_fields_and_rules(gateway, sandbox):
    no_warehouse = ictransaction().replace("<warehouseid>WH-US</warehouseid>", "")
    non_inventory = ictransaction(item="SHIPPING")
    bad_type = ictransaction(transaction_type="Nope")
    no_lines = (
        "<create_ictransaction><transactiontype>Inventory Adjustment</transactiontype>"
        "<datecreated><year>2024</year><month>1</month><day>2</day></datecreated>"
        "</create_ictransaction>"
    )
    for call in (no_warehouse, non_inventory, bad_type, no_lines):
        result = one(gateway(call))
        assert result.findtext("status") == "failure", call
        assert error_numbers(result)[-1] == "BL01001973"
    assert sandbox.store.count(DEMO_COMPANY, "ICDOCUMENT") == 0


def test_duplicate_document_number_is_refused(gateway):
    assert one(gateway(ictransaction("ADJ-D"))).findtext("status") == "success"
    again = one(gateway(ictransaction("ADJ-D")))
    assert error_numbers(again)[0] == "BL34000061"


def test_counted_and_billed_once(client, creds, sandbox):
    post_xml(client, xml_request(creds, ictransaction("ADJ-C")))
    counts = client.get("/_sandbox/counts").json()
    assert counts[creds["company_id"]]["ICDOCUMENT"] == 1
    assert counts["_billed"][creds["company_id"]] == 1


# --- REST -----------------------------------------------------------------------------


def rest_body(number: str = "ADJ-R1", item: str = "SKU-1003", warehouse="WH-US"):
    return {
        "documentNumber": number,
        "transactionDate": "2024-06-02",
        "referenceNumber": "WMS-9",
        "memo": "Cycle count",
        "lines": [
            {
                "unitOfMeasure": {"id": "Each"},
                "unitQuantity": "3",
                "unitCost": "4.125",
                "memo": "found",
                "dimensions": {
                    "item": {"id": item},
                    "warehouse": {"id": warehouse},
                    "location": {"id": "110"},
                },
            }
        ],
    }


def test_rest_create_get_list_query_delete(api, sandbox):
    created = api.post(ADJUSTMENTS, json=rest_body())
    assert created.status_code == 201, created.text
    ref = created.json()["ia::result"]
    assert ref["id"] == "Inventory Adjustment-ADJ-R1"
    assert ref["documentType"] == "Inventory Adjustment"
    assert ref["href"] == (
        "/objects/inventory-control/document::Inventory%20Adjustment/" + ref["key"]
    )
    got = api.get(ref["href"].removeprefix("/")).json()["ia::result"]
    assert (got["documentNumber"], got["transactionDate"]) == ("ADJ-R1", "2024-06-02")
    assert (got["referenceNumber"], got["memo"]) == ("WMS-9", "Cycle count")
    assert got["state"] == "pending" and got["total"] == "12.39"
    (line,) = got["lines"]
    assert line["unitQuantity"] == "3" and line["unitCost"] == "4.13"
    assert line["unitOfMeasure"]["id"] == "Each"
    assert line["dimensions"]["item"]["id"] == "SKU-1003"
    assert line["dimensions"]["warehouse"]["id"] == "WH-US"

    listed = api.get(ADJUSTMENTS).json()["ia::result"]
    assert [r["key"] for r in listed] == [ref["key"]]
    rows = api.query(
        "inventory-control/document::Inventory Adjustment",
        ["key", "id", "documentNumber"],
        filters=[{"$in": {"documentNumber": ["ADJ-R1", "none"]}}],
    )
    assert rows == [{"key": ref["key"], "id": ref["id"], "documentNumber": "ADJ-R1"}]
    other = api.get(
        f"objects/inventory-control/document::Beginning Balance/{ref['key']}"
    )
    assert other.status_code == 404

    assert api.delete(f"{ADJUSTMENTS}/{ref['key']}").status_code == 204
    assert sandbox.store.count(DEMO_COMPANY, "ICDOCUMENT") == 0


def test_rest_rejects_unknown_item_or_warehouse(api, sandbox):
    for body in (rest_body(item="NOPE"), rest_body(warehouse="WH-XX")):
        response = api.post(ADJUSTMENTS, json=body)
        assert response.status_code == 422, response.text
    assert sandbox.store.count(DEMO_COMPANY, "ICDOCUMENT") == 0


def test_rest_uses_the_documented_field_names(api):
    body = rest_body()
    body["txnDate"] = body.pop("transactionDate")
    response = api.post(ADJUSTMENTS, json=body)
    assert response.status_code == 400
    assert "/txnDate is not a valid field" in response.text


def test_rest_and_xml_see_the_same_documents(api, gateway):
    gateway(ictransaction("ADJ-X"))
    rows = api.query(
        "inventory-control/document::Inventory Adjustment",
        ["documentNumber", "total"],
    )
    assert rows == [{"documentNumber": "ADJ-X", "total": "-20.02"}]
    assert Decimal(rows[0]["total"]) == Decimal("-20.02")
