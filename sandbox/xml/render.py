"""Building gateway responses with lxml (never by string concatenation)."""

from __future__ import annotations

import re

from lxml import etree

from sandbox.errors import ErrorDetail

CONTENT_TYPE = 'text/xml; encoding="UTF-8"'

# Characters XML 1.0 cannot carry; a value written over REST may hold them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Containers of repeated child elements that are not line items.
_LIST_TAGS = {"SUBTOTALS": "SUBTOTAL"}


def sub(parent, tag: str, value=None, **attrs):
    """Append child `tag` with text `value` (None -> empty element)."""
    child = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if value is not None:
        child.text = clean(value)
    return child


def clean(value) -> str:
    """Text safe for XML 1.0; booleans as Intacct spells them."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return _INVALID_XML.sub("\ufffd", str(value))


_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def serialize(root, pretty: bool) -> bytes:
    """UTF-8 bytes with Intacct's declaration; 4-space indent when `pretty`."""
    if pretty:
        etree.indent(root, space="    ")
    return _DECLARATION + etree.tostring(root, encoding="UTF-8")


def control_block(parent, status: str, control: dict):
    """<control> echoing senderid, controlid, uniqueid, dtdversion."""
    block = sub(parent, "control")
    sub(block, "status", status)
    for name in ("senderid", "controlid", "uniqueid", "dtdversion"):
        sub(block, name, control.get(name, ""))
    return block


def errormessage(parent, details: list[ErrorDetail]):
    """<errormessage><error>…</error>…</errormessage>."""
    block = sub(parent, "errormessage")
    for detail in details:
        error = sub(block, "error")
        sub(error, "errorno", detail.errorno)
        sub(error, "description", detail.description)
        sub(error, "description2", detail.description2)
        sub(error, "correction", detail.correction)
    return block


def control_failure(
    control: dict, details: list[ErrorDetail], pretty: bool = True
) -> bytes:
    """Control-level failure: no <operation>, errormessage beside control. [S]"""
    root = etree.Element("response")
    control_block(root, "failure", control)
    errormessage(root, details)
    return serialize(root, pretty)


def gateway_error(errorno: str, description: str) -> bytes:
    """Minimal gateway error (GW-nnnn) body. [S: error-handling page]"""
    root = etree.Element("response")
    sub(sub(root, "control"), "status", "failure")
    error = sub(sub(root, "errormessage"), "error")
    sub(error, "errorno", errorno)
    sub(error, "description", description)
    return serialize(root, True)


def authentication_block(parent, status: str, auth: dict):
    """<authentication> with the identity echo and, on success, session times."""
    block = sub(parent, "authentication")
    sub(block, "status", status)
    sub(block, "userid", auth.get("userid", ""))
    sub(block, "companyid", auth.get("companyid", ""))
    sub(block, "locationid", auth.get("locationid", ""))
    if status == "success":
        sub(block, "sessiontimestamp", auth["sessiontimestamp"])
        sub(block, "sessiontimeout", auth["sessiontimeout"])
    return block


def add_value(parent, tag: str, value, line_tag: str | None = None) -> None:
    """Render a stored field: scalars as text, dicts as children, lists repeated."""
    if isinstance(value, dict):
        node = sub(parent, tag)
        for key, inner in value.items():
            add_value(node, key, inner)
    elif isinstance(value, list):
        node = sub(parent, tag)
        item_tag = line_tag or _LIST_TAGS.get(tag, tag)
        for item in value:
            add_value(node, item_tag, item)
    else:
        sub(parent, tag, "" if value is None else value)


def record(parent, tag: str, row: dict, fields: list[str] | None, line=None) -> None:
    """One object row as <tag> with the requested fields (None = every stored field)."""
    node = sub(parent, tag)
    names = (
        fields
        if fields is not None
        else ["RECORDNO", *(k for k in row if k != "RECORDNO")]
    )
    for name in names:
        line_tag = line[1] if line and name == line[0] else None
        add_value(node, name, row.get(name), line_tag)
