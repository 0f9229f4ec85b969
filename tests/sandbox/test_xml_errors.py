"""The three XML error levels, in the shapes Intacct answers (WIRE.md A.3)."""

from __future__ import annotations

from lxml import etree

from .conftest import XML_PATH, post_xml, results, xml_request

CUSTOMER = (
    "<create><CUSTOMER><CUSTOMERID>E1</CUSTOMERID><NAME>E</NAME></CUSTOMER></create>"
)


def errornos(node) -> list[str]:
    return [e.text for e in node.findall("errormessage/error/errorno")]


def test_control_failure_for_bad_sender_has_no_operation(client, creds):
    body = xml_request(creds, CUSTOMER, sender=(creds["sender_id"], "wrong"))
    root = post_xml(client, body)
    assert root.findtext("control/status") == "failure"
    assert root.findtext("control/controlid") == "test-request"
    assert root.find("operation") is None
    assert errornos(root) == ["XL03000006"]
    assert "Partner ID or password" in root.findtext("errormessage/error/description2")
    assert root.find("errormessage/error/correction") is not None


def test_control_failure_for_unparseable_xml(client):
    response = client.post(XML_PATH, content=b"<request><control></request>")
    root = etree.fromstring(response.content)
    assert response.status_code == 200
    assert root.findtext("control/status") == "failure"
    assert errornos(root) == ["XL03000003"]
    assert "XML Parse schema error" in root.findtext("errormessage/error/description2")


def test_doctype_and_entities_are_refused_not_expanded(client, creds, sandbox):
    body = xml_request(creds, CUSTOMER).replace(
        b"<request>",
        b'<!DOCTYPE request [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;">]>\n<request>',
    )
    root = post_xml(client, body)
    assert errornos(root) == ["XL03000003"]
    assert "DOCTYPE" in root.findtext("errormessage/error/description2")
    assert sandbox.store.get_by_id(creds["company_id"], "CUSTOMER", "E1") is None


def test_external_entity_is_refused(client, creds):
    body = xml_request(creds, CUSTOMER).replace(
        b"<request>", b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><request>'
    )
    root = post_xml(client, body)
    assert errornos(root) == ["XL03000003"]
    assert b"root:" not in etree.tostring(root)


def test_missing_controlid_and_wrong_dtdversion_fail_at_control_level(client, creds):
    body = xml_request(creds, CUSTOMER).replace(
        b"<dtdversion>3.0<", b"<dtdversion>2.1<"
    )
    assert errornos(post_xml(client, body)) == ["XL03000003"]
    body = xml_request(creds, CUSTOMER).replace(
        b'<function controlid="f1">', b"<function>"
    )
    assert post_xml(client, body).findtext("control/status") == "failure"


def test_policyid_is_a_control_failure_like_intacct(client, creds):
    body = xml_request(creds, CUSTOMER).replace(
        b"</control>", b"<policyid>test</policyid></control>"
    )
    root = post_xml(client, body)
    assert errornos(root) == ["XL03000006"]
    assert root.findtext("errormessage/error/description2") == (
        "test is not a valid transport policy."
    )


def test_authentication_failure_shape(client, creds):
    root = post_xml(client, xml_request(creds, CUSTOMER, user=("fakeuser", "nope")))
    assert root.findtext("control/status") == "success"
    auth = root.find("operation/authentication")
    assert auth.findtext("status") == "failure"
    assert auth.findtext("userid") == "fakeuser"
    assert auth.findtext("companyid") == creds["company_id"]
    assert auth.find("locationid") is not None
    assert results(root) == []
    op = root.find("operation")
    assert [c.tag for c in op] == ["authentication", "errormessage"]
    assert errornos(op) == ["XL03000006"]
    assert (
        op.findtext("errormessage/error/description2")
        == "Sign-in information is incorrect"
    )


def test_sender_not_authorized_for_company(client, creds, sandbox):
    other = sandbox.company()
    other.company_id = "OTHER-CO"
    other.senders = {"other_sender": "other-pass"}
    sandbox.seed_company(other)
    root = post_xml(
        client, xml_request(creds, CUSTOMER, sender=("other_sender", "other-pass"))
    )
    op = root.find("operation")
    assert op.findtext("authentication/status") == "failure"
    assert (
        op.findtext("errormessage/error/description")
        == "Invalid Web Services Authorization"
    )


def test_unknown_entity_fails_authentication(gateway):
    root = gateway(CUSTOMER, entity="999")
    assert root.findtext("operation/authentication/status") == "failure"


def test_function_failure_leaves_other_functions_alone(gateway, sandbox, creds):
    root = gateway(
        "<create><CUSTOMER><CUSTOMERID>OK1</CUSTOMERID><NAME>fine</NAME></CUSTOMER></create>",
        "<create><CUSTOMER><CUSTOMERID>BAD</CUSTOMERID></CUSTOMER></create>",
    )
    first, second = results(root)
    assert first.findtext("status") == "success"
    assert second.findtext("status") == "failure"
    assert second.find("data").attrib == {"listtype": "objects", "count": "0"}
    assert errornos(second)[-1] == "BL01001973"
    assert "NAME" in second.findtext("errormessage/error/description2")
    assert sandbox.store.get_by_id(creds["company_id"], "CUSTOMER", "OK1") is not None


def test_unknown_object_and_function(gateway):
    bad_object, bad_function = results(
        gateway(
            "<readByQuery><object>BADOBJECT</object><query/></readByQuery>",
            "<frobnicate/>",
        )
    )
    assert errornos(bad_object) == ["Query Failed"]
    assert "BADOBJECT" in bad_object.findtext("errormessage/error/description2")
    assert bad_function.findtext("status") == "failure"


def test_get_is_not_the_gateway(client):
    assert client.get(XML_PATH).status_code in (404, 405)


def test_body_over_the_limit_is_refused(client, sandbox, creds):
    sandbox.config.max_body_bytes = 1000
    response = client.post(XML_PATH, content=xml_request(creds, CUSTOMER) + b" " * 2000)
    assert response.status_code == 413
