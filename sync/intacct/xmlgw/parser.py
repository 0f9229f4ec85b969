"""Parse gateway responses, hardened: no DTDs, no entities, no network, bounded.

Intacct answers in UTF-8, and only UTF-8 is read: a body in another encoding (UTF-16
above all) would hide a ``<!DOCTYPE`` from the byte search below and let libxml2
start on its entities before the DOCTYPE check after parsing could refuse them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from sync.intacct.constants import MAX_RESPONSE_BYTES
from sync.intacct.errors import ErrorDetail


class ResponseParseError(ValueError):
    """The body is not a gateway response we are willing to read."""


_DECLARED_ENCODING = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)"
)
_UTF8_NAMES = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        encoding="utf-8",  # whatever the document declares: see the module doc
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(body: bytes, limit: int = MAX_RESPONSE_BYTES) -> etree._Element:
    """The root element of `body`; refuses DTDs, entities and oversize input."""
    if len(body) > limit:
        raise ResponseParseError(f"response of {len(body)} bytes exceeds {limit}")
    _require_utf8(body)
    upper = body.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise ResponseParseError("response carries a DTD or entity declarations")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise ResponseParseError(f"malformed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise ResponseParseError("response carries a DTD")
    return root


def _require_utf8(body: bytes) -> None:
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4]:
        raise ResponseParseError("response is not UTF-8 (UTF-16 or UTF-32)")
    declared = _DECLARED_ENCODING.match(body[:256])
    if declared and declared.group(1).strip().lower() not in _UTF8_NAMES:
        name = declared.group(1).decode("ascii", "replace")
        raise ResponseParseError(f"response declares encoding {name!r}, not UTF-8")


@dataclass
class Result:
    """One `<result>`: the outcome of one function."""

    status: str
    function: str
    controlid: str
    data: etree._Element | None = None
    key: str = ""
    errors: list[ErrorDetail] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def attr(self, name: str, default: str = "") -> str:
        return self.data.get(name, default) if self.data is not None else default

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each child of `<data>` as a dict (nested elements -> nested dicts)."""
        if self.data is None:
            return
        for child in self.data:
            yield to_dict(child)


@dataclass
class Response:
    """A parsed `<response>`."""

    control_status: str
    results: list[Result]
    auth_status: str = ""
    errors: list[ErrorDetail] = field(default_factory=list)  # control or auth level
    level: str = ""  # "control" | "authentication" when errors is set
    session_timestamp: datetime | None = None
    session_timeout: datetime | None = None

    def by_controlid(self) -> dict[str, Result]:
        return {r.controlid: r for r in self.results}


def to_dict(el: etree._Element) -> dict[str, Any] | str:
    """Element -> dict; repeated child tags become lists; leaves become text."""
    if len(el) == 0:
        return el.text or ""
    out: dict[str, Any] = {}
    for child in el:
        value = to_dict(child)
        if child.tag in out:
            if not isinstance(out[child.tag], list):
                out[child.tag] = [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = value
    return out


def errors_of(errormessage: etree._Element | None) -> list[ErrorDetail]:
    if errormessage is None:
        return []
    return [
        ErrorDetail(
            errorno=(e.findtext("errorno") or "").strip(),
            description=(e.findtext("description") or "").strip(),
            description2=(e.findtext("description2") or "").strip(),
            correction=(e.findtext("correction") or "").strip(),
        )
        for e in errormessage.iter("error")
    ]


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_response(body: bytes) -> Response:
    """Parse a gateway response body into control, auth and per-function parts."""
    root = parse_xml(body)
    if root.tag != "response":
        raise ResponseParseError(f"unexpected root element <{root.tag}>")
    control_status = (root.findtext("control/status") or "").strip()
    top_errors = errors_of(root.find("errormessage"))
    # Trimmed documentation fixtures carry an empty <control/>; only an explicit
    # failure (or an error block) is a control-level failure.
    if control_status == "failure" or top_errors:
        return Response(
            control_status or "failure", [], errors=top_errors, level="control"
        )
    op = root.find("operation")
    if op is None:
        return Response(control_status, [])
    auth = op.find("authentication")
    auth_status = (auth.findtext("status") or "").strip() if auth is not None else ""
    response = Response(
        control_status,
        [],
        auth_status=auth_status,
        session_timestamp=_time(auth.findtext("sessiontimestamp"))
        if auth is not None
        else None,
        session_timeout=_time(auth.findtext("sessiontimeout"))
        if auth is not None
        else None,
    )
    auth_errors = errors_of(op.find("errormessage"))
    if auth_status == "failure" or auth_errors:
        response.errors, response.level = auth_errors, "authentication"
        return response
    for r in op.iterfind("result"):
        response.results.append(
            Result(
                status=(r.findtext("status") or "").strip(),
                function=(r.findtext("function") or "").strip(),
                controlid=(r.findtext("controlid") or "").strip(),
                data=r.find("data"),
                key=(r.findtext("key") or "").strip(),
                errors=errors_of(r.find("errormessage")),
            )
        )
    return response
