"""Declarative maps between REST JSON objects and canonical XML rows.

The store keeps one canonical row per record, keyed by the XML gateway's
upper-case field names (nested dicts for nested XML such as ``DISPLAYCONTACT``,
lists of dicts for lines). Each REST object is a table of ``Field``s, ``Ref``s
and at most one ``Lines``; the same table drives reads, writes, the query
service's flat rows and the model service, so the two APIs cannot drift.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import quote

from sandbox.rest import errors

# Read-only or control members a client may echo back; accepted and ignored.
READ_ONLY_INPUT = {"key", "href", "audit", "entity", "ia::meta", "ia::operation"}


class Resolver(Protocol):
    """Looks referenced records up (implemented by the backend adapter)."""

    def find(self, xml_object: str, id_field: str, *, id=None, key=None) -> dict | None:
        """The stored row with this id or RECORDNO, or None."""


# -- scalar codecs -------------------------------------------------------------


def _bad(path: str, message: str) -> errors.RestError:
    target = "/" + path.replace(".", "/")
    return errors.invalid_request(
        f"{target}: {message}",
        details=[
            errors.detail(
                "invalidRequest",
                f"{target} {message}",
                target=target,
                error_id="REST-1043",
                message_id="IA.INVALID_FIELD_VALUE",
            )
        ],
    )


def to_rest(kind: str, value: Any, choices: dict[str, str] | None = None) -> Any:
    """A stored XML string as the REST JSON value of this kind."""
    if value is None or value == "":
        return None if kind != "boolean" else False
    text = str(value)
    if choices:
        return {x: r for r, x in choices.items()}.get(text, text)
    if kind in ("number", "integer"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        return int(number) if number == number.to_integral() else float(number)
    if kind == "boolean":
        return text.lower() in ("true", "t", "1", "yes")
    if kind == "date":
        return _iso_date(text)
    if kind == "datetime":
        return _iso_datetime(text)
    return text


def to_xml(
    kind: str, value: Any, path: str, choices: dict[str, str] | None = None
) -> Any:
    """A REST JSON value as the XML string the rules layer expects."""
    if value is None:
        return ""
    if choices:
        # Only a string can be a choice; a list or object is not hashable either.
        if not isinstance(value, str) or value not in choices:
            raise _bad(path, f"must be one of {', '.join(choices)}")
        return choices[value]
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _bad(path, "must be true or false")
        return "true" if value else "false"
    if kind in ("decimal", "number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _bad(path, "must be a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _bad(path, "must be a number") from None
        if not number.is_finite() or (
            kind == "integer" and number != number.to_integral()
        ):
            raise _bad(path, "must be a number")
        return str(value).strip()
    if not isinstance(value, str):
        raise _bad(path, "must be a string")
    if kind == "date":
        try:
            return dt.date.fromisoformat(value).strftime("%m/%d/%Y")
        except ValueError:
            raise _bad(path, "must be a date in YYYY-MM-DD format") from None
    return value


def _iso_date(text: str) -> str:
    for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%Y %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def _iso_datetime(text: str) -> str:
    for fmt in (
        "%m/%d/%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%Y",
    ):
        try:
            return dt.datetime.strptime(text, fmt).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
    return text


# -- nested dict helpers -------------------------------------------------------


def get_path(row: dict, path: str) -> Any:
    """``row["A"]["B"]`` for ``"A.B"``, or a flat ``row["A.B"]``, or None."""
    if path in row:
        return row[path]
    node: Any = row
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(row: dict, path: str, value: Any) -> None:
    """Set ``row["A"]["B"] = value`` for ``"A.B"``, creating dicts on the way."""
    *parents, last = path.split(".")
    node = row
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def flatten(obj: dict, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` as ``{"a.b": 1}``; lists are left out."""
    flat: dict[str, Any] = {}
    for name, value in obj.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "."))
        elif not isinstance(value, list):
            flat[path] = value
    return flat


# -- field specs ---------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One scalar REST field stored in one XML field."""

    rest: str
    xml: str
    kind: str = "string"
    read_only: bool = False
    choices: dict[str, str] | None = None  # REST value -> XML value

    def kinds(self) -> dict[str, str]:
        return {self.rest: self.kind}

    def read(self, row: dict, out: dict, resolver: Resolver) -> None:
        # Empty fields are left out rather than sent as null: most fields in the
        # official schemas are not nullable.
        value = to_rest(self.kind, get_path(row, self.xml), self.choices)
        if value is not None:
            set_path(out, self.rest, value)

    def write(self, body: dict, row: dict, resolver: Resolver) -> None:
        # Read-only fields a client echoes back (totals, state) are ignored.
        if self.read_only:
            return
        value = get_path(body, self.rest)
        if value is not None or _has_path(body, self.rest):
            set_path(row, self.xml, to_xml(self.kind, value, self.rest, self.choices))


@dataclass(frozen=True)
class Ref:
    """A reference ``{"key", "id", "name", "href"}`` stored as the target's id."""

    rest: str
    xml: str
    target: str = ""  # REST object name, for href and key lookups
    xml_object: str = ""  # stored object to look the target up in
    id_field: str = ""  # that object's id field
    name_field: str = ""  # that object's name field, when the ref shows a name

    def kinds(self) -> dict[str, str]:
        names = ["id", "key", "href"] + (["name"] if self.name_field else [])
        return {f"{self.rest}.{n}": "string" for n in names}

    def read(self, row: dict, out: dict, resolver: Resolver) -> None:
        value = get_path(row, self.xml)
        if value in (None, ""):
            return
        ref: dict[str, Any] = {"id": str(value)}
        target = self._lookup(resolver, id=str(value))
        if target is not None:
            ref["key"] = str(target.get("RECORDNO", ""))
            if self.name_field:
                ref["name"] = str(target.get(self.name_field) or "")
            ref["href"] = f"/objects/{self.target}/{ref['key']}"
        set_path(out, self.rest, ref)

    def write(self, body: dict, row: dict, resolver: Resolver) -> None:
        if not _has_path(body, self.rest):
            return
        ref = get_path(body, self.rest)
        if ref is None:
            set_path(row, self.xml, "")
            return
        if not isinstance(ref, dict):
            raise _bad(self.rest, 'must be an object such as {"id": "..."}')
        ref_id, ref_key = ref.get("id"), ref.get("key")
        if ref_id is None and ref_key is not None:
            found = self._lookup(resolver, key=str(ref_key))
            # An unknown key is passed on as-is so the rules layer reports the
            # same "invalid reference" error the XML gateway would.
            ref_id = found.get(self.id_field) if found else f"key:{ref_key}"
        if ref_id is not None and not isinstance(ref_id, str | int):
            raise _bad(self.rest + ".id", "must be a string")
        set_path(row, self.xml, "" if ref_id is None else str(ref_id))

    def _lookup(self, resolver: Resolver, **by: str) -> dict | None:
        if not (self.xml_object and self.id_field):
            return None
        return resolver.find(self.xml_object, self.id_field, **by)


@dataclass(frozen=True)
class Lines:
    """A list of owned line objects (``lines``) stored as a list of XML rows."""

    rest: str
    xml: str  # dotted path of the list in the stored row
    fields: tuple[Field | Ref, ...]
    object_name: str = ""  # REST name of the line object, for hrefs

    def read(self, row: dict, out: dict, resolver: Resolver) -> None:
        items = get_path(row, self.xml) or []
        if isinstance(items, dict):
            items = [items]
        lines = []
        for number, item in enumerate(items, 1):
            line: dict[str, Any] = {}
            key = str(item.get("RECORDNO") or item.get("LINE_NO") or number)
            line["key"], line["id"] = key, key
            for spec in self.fields:
                spec.read(item, line, resolver)
            line["lineNumber"] = number
            if self.object_name:
                line["href"] = f"/objects/{self.object_name}/{key}"
            lines.append(line)
        out[self.rest] = lines

    def write(self, body: dict, row: dict, resolver: Resolver) -> None:
        if self.rest not in body:
            return
        items = body[self.rest]
        if not isinstance(items, list):
            raise _bad(self.rest, "must be an array")
        rows = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise _bad(f"{self.rest}.{n}", "must be an object")
            check_known(item, self.fields, f"{self.rest}/{n}/")
            line_row: dict[str, Any] = {}
            for spec in self.fields:
                spec.write(item, line_row, resolver)
            rows.append(line_row)
        set_path(row, self.xml, rows)


def _has_path(body: dict, path: str) -> bool:
    node: Any = body
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check_known(body: dict, specs, prefix: str = "") -> None:
    """400 ``/x is not a valid field`` for any path no spec accepts."""
    allowed: set[str] = set()
    for spec in specs:
        if isinstance(spec, Lines):
            allowed.add(spec.rest)
        elif isinstance(spec, Ref):
            allowed.update(
                {
                    f"{spec.rest}.id",
                    f"{spec.rest}.key",
                    f"{spec.rest}.name",
                    f"{spec.rest}.href",
                }
            )
        else:
            allowed.add(spec.rest)
    for path, _value in _leaves(body):
        top = path.split(".")[0]
        # Lines also carry read-only "id" and "lineNumber" a client may echo back.
        if top in READ_ONLY_INPUT or (prefix and top in ("lineNumber", "id")):
            continue
        if path in allowed or top in allowed:
            continue
        target = "/" + prefix + path.replace(".", "/")
        raise errors.invalid_request(
            f"{target} is not a valid field",
            error_id="REST-1043",
            message_id="IA.NOT_A_VALID_FIELD",
            details=[
                errors.detail(
                    "invalidRequest",
                    f"{target} is not a valid field",
                    target=target,
                    error_id="REST-1043",
                    message_id="IA.NOT_A_VALID_FIELD",
                )
            ],
        )


def _leaves(body: dict, prefix: str = ""):
    for name, value in body.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict) and value:
            yield from _leaves(value, path + ".")
        else:
            yield path, value


# -- the object table ----------------------------------------------------------


@dataclass(frozen=True)
class RestObject:
    """One REST object: its path name, stored object and field table."""

    name: str  # "accounts-receivable/customer"
    xml_object: str  # "CUSTOMER"
    id_field: str  # XML field behind "id"
    specs: tuple[Field | Ref | Lines, ...]
    id_writable: bool = True
    defaults: dict[str, Any] = field(default_factory=dict)  # XML defaults on create
    doc_type: str = ""  # for order-entry/document::<doc_type>
    line_object: str = ""
    stored_filter: tuple | None = None  # sandbox filter tree, e.g. DOCPARID match
    create_result_extra: tuple[str, ...] = ()  # extra fields on create result

    @property
    def path(self) -> str:
        return f"{self.name}::{self.doc_type}" if self.doc_type else self.name

    def href(self, key: Any) -> str:
        """``/objects/order-entry/document::Sales%20Order/12``, as Intacct spells it."""
        return f"/objects/{quote(self.path, safe='/:')}/{key}"

    def scalar_specs(self):
        return [s for s in self.specs if not isinstance(s, Lines)]

    def kinds(self) -> dict[str, str]:
        """Kind of every flat query path."""
        kinds = {"key": "integer", "id": "string", "href": "string"}
        for spec in self.scalar_specs():
            kinds.update(spec.kinds())
        kinds.update(
            {
                "audit.createdDateTime": "datetime",
                "audit.modifiedDateTime": "datetime",
                "audit.createdBy": "string",
                "audit.modifiedBy": "string",
                "entity.id": "string",
                "entity.key": "string",
                "entity.name": "string",
            }
        )
        return kinds

    def reference(self, row: dict) -> dict[str, Any]:
        """``{"key", "id", "href"}`` for a stored row."""
        key = str(row.get("RECORDNO", ""))
        ref = {
            "key": key,
            "id": str(get_path(row, self.id_field) or key),
            "href": self.href(key),
        }
        for extra in self.create_result_extra:
            if extra == "documentType":
                ref["documentType"] = self.doc_type
        return ref

    def read(self, row: dict, resolver: Resolver) -> dict[str, Any]:
        """The full REST object for a stored row."""
        out: dict[str, Any] = self.reference(row)
        out.pop("documentType", None)
        for spec in self.specs:
            spec.read(row, out, resolver)
        out["id"] = out.get("id") or str(row.get("RECORDNO", ""))
        out["audit"] = _audit(row)
        entity = _entity(row, resolver)
        if entity:
            out["entity"] = entity
        out["href"] = self.href(out["key"])
        return out

    def write(self, body: Any, resolver: Resolver, *, creating: bool) -> dict[str, Any]:
        """The canonical XML field dict for a REST create or patch body."""
        if not isinstance(body, dict):
            raise errors.invalid_request("The payload must be a JSON object")
        check_known(body, self.specs)
        row: dict[str, Any] = dict(self.defaults) if creating else {}
        for spec in self.specs:
            spec.write(body, row, resolver)
        return row


def _audit(row: dict) -> dict[str, Any]:
    # Documents keep their own date in WHENCREATED and the record's in AUDITWHENCREATED.
    created = row.get("AUDITWHENCREATED") or row.get("WHENCREATED")
    audit = {
        "createdDateTime": to_rest("datetime", created),
        "modifiedDateTime": to_rest("datetime", row.get("WHENMODIFIED") or created),
        "createdBy": row.get("CREATEDBY") or None,
        "modifiedBy": row.get("MODIFIEDBY") or row.get("CREATEDBY") or None,
    }
    return {k: v for k, v in audit.items() if v is not None}


def _entity(row: dict, resolver: Resolver) -> dict[str, Any] | None:
    """The owning entity of a record created inside one (MEGAENTITYID)."""
    entity_id = row.get("MEGAENTITYID")
    if not entity_id:
        return None
    location = resolver.find("LOCATION", "LOCATIONID", id=str(entity_id)) or {}
    key = str(location.get("RECORDNO") or "")
    return {
        "key": key or None,
        "id": str(entity_id),
        "name": str(location.get("NAME") or entity_id),
        "href": f"/objects/company-config/entity/{key}",
    }
