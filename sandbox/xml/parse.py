"""Hardened parsing of gateway requests and element -> plain value conversion.

Requests are read as UTF-8 only (what Intacct's gateway takes): another encoding,
UTF-16 above all, would hide a ``<!DOCTYPE`` from the byte search and let libxml2
start on its entities before the DOCTYPE check after parsing could refuse them.
"""

from __future__ import annotations

import re

from lxml import etree

from sandbox import errors


class ParseError(Exception):
    """The body is not acceptable XML; message is the description2 to return."""


_DECLARED_ENCODING = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)"
)
_UTF8_NAMES = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}


def _parser() -> etree.XMLParser:
    # Never resolve entities, never fetch anything, never load a DTD, no huge trees,
    # and UTF-8 whatever the document declares.
    return etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_request(body: bytes) -> etree._Element:
    """Parse a request body; refuse DOCTYPE/ENTITY declarations, never expand."""
    if not body or not body.strip():
        raise ParseError("XML Parse schema error: the request body is empty.")
    if not _is_utf8(body):
        raise ParseError("XML Parse schema error: the request must be UTF-8 encoded.")
    upper = body.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise ParseError(_doctype_message())
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"XML Parse schema error: {exc}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise ParseError(_doctype_message())
    if root.tag != "request":
        raise ParseError("XML Parse schema error: the root element must be <request>.")
    return root


def _is_utf8(body: bytes) -> bool:
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4]:
        return False  # UTF-16 or UTF-32
    declared = _DECLARED_ENCODING.match(body[:256])
    return not declared or declared.group(1).strip().lower() in _UTF8_NAMES


def _doctype_message() -> str:
    return (
        "XML Parse schema error: DOCTYPE and ENTITY declarations are not allowed "
        "in requests."
    )


def children(element) -> list:
    """Element children, skipping comments and processing instructions."""
    return [c for c in element if isinstance(c.tag, str)]


def text(element, name: str, default: str = "") -> str:
    """Text of the first child `name` (stripped), or `default`."""
    found = element.find(name) if element is not None else None
    if found is None or found.text is None:
        return default
    return found.text.strip()


def to_value(element):
    """Leaf -> its text ('' when empty); otherwise a dict (repeated tags -> list)."""
    kids = children(element)
    if not kids:
        return element.text or ""
    result: dict = {}
    for child in kids:
        value = to_value(child)
        if child.tag in result:
            previous = result[child.tag]
            if isinstance(previous, list):
                previous.append(value)
            else:
                result[child.tag] = [previous, value]
        else:
            result[child.tag] = value
    return result


def as_list(value) -> list:
    """A dict-or-list-or-empty value as a list (repeated elements)."""
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def schema_error(message: str) -> errors.InvalidRequest:
    """A function-level 'XML Parse schema error' (bad function content)."""
    return errors.InvalidRequest(
        errors.ErrorDetail(
            errors.PARSE, description2=f"XML Parse schema error: {message}"
        )
    )
