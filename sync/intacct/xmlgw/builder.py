"""Build gateway requests with lxml, never by string concatenation.

XML 1.0 cannot carry every string: C0 control characters other than tab, line feed
and carriage return, lone surrogates and U+FFFE/U+FFFF have no representation (not
even as character references). Text holding one is refused with `XmlTextError` (a
`ValidationError`, so the write fails like any other invalid field), never dropped or
replaced behind the caller's back. Every other character, in every plane, is sent as
it is. The mapping engine applies the same rule earlier, per record.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from sync.intacct.constants import DTD_VERSION
from sync.intacct.errors import ValidationError

#: What XML 1.0 cannot carry (its Char production, complemented).
NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XmlTextError(ValidationError, ValueError):
    """A text value holds a character XML 1.0 cannot carry.

    Also a ValueError: that is what lxml raises for it, and what callers caught.
    """


def xml_text_problem(text: str) -> str:
    """Why `text` cannot go into XML ("U+0001 at position 3"), or ""."""
    found = NOT_XML_CHAR.search(text)
    if found is None:
        return ""
    return f"U+{ord(found.group()):04X} at position {found.start()}"


# Functions that change data: each object inside bills one transaction.
WRITE_FUNCTIONS = {"create", "update", "delete"}
QUERY_FUNCTIONS = {"readByQuery", "readMore", "query", "read", "readByName"}


@dataclass(frozen=True)
class Function:
    """One `<function controlid=…>` and what it costs."""

    controlid: str
    body: etree._Element
    write: bool = False
    billed: int = 0

    @property
    def name(self) -> str:
        return self.body.tag


def new_controlid() -> str:
    return uuid.uuid4().hex


def element(tag: str, value: Any = None) -> etree._Element:
    """An element from a nested value.

    dict -> children in insertion order (keys starting with "@" are attributes,
    None values skipped); list under a key -> that tag repeated; scalar -> text.
    """
    el = etree.Element(tag)
    _fill(el, value)
    return el


def _fill(el: etree._Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            if child is None:
                continue
            if key.startswith("@"):
                el.set(key[1:], _text(child, f"{el.tag}@{key[1:]}"))
            elif isinstance(child, list | tuple):
                for item in child:
                    _fill(etree.SubElement(el, key), item)
            else:
                _fill(etree.SubElement(el, key), child)
        return
    el.text = _text(value, el.tag)


def _text(value: Any, where: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    problem = xml_text_problem(text)
    if problem:
        raise XmlTextError(
            f"{where or 'a value'} holds {problem}, a character XML cannot carry",
            protocol="xml",
            code="invalid_xml_text",
        )
    return text


def function(
    name: str,
    value: Any = None,
    *,
    controlid: str = "",
    write: bool = False,
    billed: int | None = None,
) -> Function:
    """A function element `<name>value</name>` wrapped with its control id."""
    body = element(name, value)
    if billed is None:
        billed = 1 if name in QUERY_FUNCTIONS else 0
    return Function(controlid or new_controlid(), body, write, billed)


def generic_write(
    verb: str, obj: str, fields: Mapping[str, Any], *, controlid: str
) -> Function:
    """`<create|update><OBJECT>…</OBJECT></create|update>`: one billed object."""
    body = etree.Element(verb)
    body.append(element(obj, fields))
    return Function(controlid, body, True, 1)


def build_request(
    *,
    sender_id: str,
    sender_password: str,
    functions: Sequence[Function],
    session_id: str = "",
    login: Mapping[str, str] | None = None,
    uniqueid: bool = False,
    transaction: bool = False,
    controlid: str = "",
) -> bytes:
    """The full `<request>` document, UTF-8 with an XML declaration."""
    request = etree.Element("request")
    control = etree.SubElement(request, "control")
    for tag, text in (
        ("senderid", sender_id),
        ("password", sender_password),
        ("controlid", controlid or new_controlid()),
        ("uniqueid", "true" if uniqueid else "false"),
        ("dtdversion", DTD_VERSION),
        ("includewhitespace", "false"),
    ):
        etree.SubElement(control, tag).text = text
    operation = etree.SubElement(
        request, "operation", transaction="true" if transaction else "false"
    )
    auth = etree.SubElement(operation, "authentication")
    if session_id:
        etree.SubElement(auth, "sessionid").text = session_id
    else:
        auth.append(element("login", dict(login or {})))
    content = etree.SubElement(operation, "content")
    for fn in functions:
        wrapper = etree.SubElement(content, "function", controlid=fn.controlid)
        wrapper.append(fn.body)
    return etree.tostring(request, xml_declaration=True, encoding="UTF-8")
