"""Read actions: find by reference, dimensions, AR status, field catalog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sync.intacct import errors
from sync.intacct.constants import FIND_BATCH
from sync.intacct.objects import registry
from sync.intacct.results import ARStatus, Dimension, DimensionValue, FieldInfo, Found
from sync.intacct.routing import REST, XML
from sync.intacct.xmlgw import builder

if TYPE_CHECKING:
    from sync.intacct.client import IntacctClient

STANDARD_DIMENSIONS = {  # XML object -> (id field, name field, REST object)
    "LOCATION": ("LOCATIONID", "NAME", "company-config/location"),
    "DEPARTMENT": ("DEPARTMENTID", "TITLE", "company-config/department"),
    "CLASS": ("CLASSID", "NAME", "company-config/class"),
}


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def find(
    client: IntacctClient, obj: str, by: Iterable[str], protocol: str | None = None
) -> dict[str, Found]:
    """Records of `obj` whose reference is in `by`: one query per 100 references."""
    module = registry.object_module(obj)
    refs = sorted({r for r in by if r})
    if not refs:
        return {}
    order = [protocol] if protocol else client.router.order("find")
    if module.SPEC.rest_object is None:
        order = [XML]

    def run(proto: str) -> dict[str, Found]:
        found: dict[str, Found] = {}
        for chunk in _chunks(refs, FIND_BATCH):
            finder = _find_rest if proto == REST else _find_xml
            for hit in finder(client, module, chunk):
                found.setdefault(hit.reference, hit)
        return found

    return client.routed("find", order, run)


def _find_rest(client: IntacctClient, module, refs: list[str]) -> Iterator[Found]:
    spec = module.SPEC
    fields = list(dict.fromkeys(["key", "id", spec.rest_ref, spec.rest_id]))
    rows = client.rest.query(
        spec.rest_object, fields, [{"$in": {spec.rest_ref: refs}}], order_by=()
    )
    for row in rows:
        yield Found(
            spec.xml_object,
            str(row.get(spec.rest_ref, "")),
            str(row.get("key", "")),
            str(row.get(spec.rest_id) or row.get("id") or ""),
            REST,
            row,
        )


def _find_xml(client: IntacctClient, module, refs: list[str]) -> Iterator[Found]:
    spec = module.SPEC
    id_field = spec.xml_id or "RECORDNO"
    select = list(dict.fromkeys(["RECORDNO", id_field, spec.xml_ref]))
    condition: dict[str, Any] = {"in": {"field": spec.xml_ref, "value": refs}}
    if spec.docparid:
        condition = {
            "and": {
                "equalto": {"field": "DOCPARID", "value": spec.docparid},
                **condition,
            }
        }
    for row in client.xml.query(spec.xml_object, select, condition, orderby=()):
        yield Found(
            spec.xml_object,
            str(row.get(spec.xml_ref, "")),
            str(row.get("RECORDNO", "")),
            str(row.get(id_field, "")),
            XML,
            row,
        )


# -- dimensions -------------------------------------------------------------------


def read_dimensions(client: IntacctClient) -> list[Dimension]:
    """Standard and user-defined dimensions with their values."""
    return client.routed(
        "read_dimensions",
        client.router.order("read_dimensions"),
        lambda proto: _dims_xml(client) if proto == XML else _dims_rest(client),
    )


def _dims_xml(client: IntacctClient) -> list[Dimension]:
    result = client.xml.call(builder.function("getDimensions"))
    listed = []
    if result.data is not None:
        for d in result.data.iter("dimension"):
            listed.append(
                (
                    d.findtext("objectName") or "",
                    d.findtext("termLabel") or d.findtext("objectLabel") or "",
                    (d.findtext("userDefinedDimension") or "") == "true",
                )
            )
    wanted = [d for d in listed if d[0] in STANDARD_DIMENSIONS or d[2]]
    if not listed:
        wanted = [(name, name.title(), False) for name in STANDARD_DIMENSIONS]
    out = []
    for name, label, udd in wanted:
        id_field, name_field, _ = STANDARD_DIMENSIONS.get(name, ("ID", "NAME", ""))
        values = tuple(
            DimensionValue(
                id=str(row.get(id_field, "")),
                name=str(row.get(name_field, "")),
                key=str(row.get("RECORDNO", "")),
                status=str(row.get("STATUS", "")),
            )
            for row in client.xml.read_by_query(name, "", fields="*")
        )
        out.append(Dimension(name, label, udd, values))
    return out


def _dims_rest(client: IntacctClient) -> list[Dimension]:
    out = []
    for name, (_, _, rest_obj) in STANDARD_DIMENSIONS.items():
        rows = client.rest.query(rest_obj, ["key", "id", "name", "status"])
        values = tuple(
            DimensionValue(
                str(r.get("id", "")),
                str(r.get("name", "")),
                str(r.get("key", "")),
                str(r.get("status", "")),
            )
            for r in rows
        )
        out.append(Dimension(name, name.title(), False, values))
    return out


# -- AR status -----------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal("0")


def _when(value: Any) -> dt.datetime | None:
    text = str(value or "").strip()
    for fmt in ("%m/%d/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_ar_status(
    client: IntacctClient, since: dt.datetime | None = None
) -> Iterator[ARStatus]:
    """AR invoices changed since `since`, streamed page by page."""
    order = client.router.order("read_ar_status")
    last: errors.IntacctError | None = None
    for proto in order:
        try:
            rows = _ar_rest(client, since) if proto == REST else _ar_xml(client, since)
            first = next(rows, None)
        except errors.NotSupported as exc:
            client.router.unsupported("read_ar_status", proto)
            last = exc
            continue
        if first is None:
            return
        yield first
        yield from rows
        return
    if last:
        raise last


def _ar_rest(client: IntacctClient, since: dt.datetime | None) -> Iterator[ARStatus]:
    filters = []
    if since is not None:
        stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        filters.append({"$gte": {"audit.modifiedDateTime": stamp}})
    fields = [
        "key",
        "invoiceNumber",
        "customer.id",
        "state",
        "totalTxnAmount",
        "totalTxnAmountDue",
        "audit.modifiedDateTime",
    ]
    for r in client.rest.query("accounts-receivable/invoice", fields, filters):
        yield ARStatus(
            key=str(r.get("key", "")),
            invoice_number=str(r.get("invoiceNumber") or ""),
            customer_id=str(r.get("customer.id") or ""),
            state=str(r.get("state") or ""),
            total=_decimal(r.get("totalTxnAmount")),
            due=_decimal(r.get("totalTxnAmountDue")),
            modified=_when(r.get("audit.modifiedDateTime")),
        )


def _ar_xml(client: IntacctClient, since: dt.datetime | None) -> Iterator[ARStatus]:
    condition = None
    if since is not None:
        stamp = since.astimezone(dt.UTC).strftime("%m/%d/%Y %H:%M:%S")
        condition = {"greaterthanorequalto": {"field": "WHENMODIFIED", "value": stamp}}
    select = [
        "RECORDNO",
        "RECORDID",
        "CUSTOMERID",
        "STATE",
        "TRX_TOTALENTERED",
        "TRX_TOTALDUE",
        "WHENMODIFIED",
    ]
    for r in client.xml.query("ARINVOICE", select, condition):
        yield ARStatus(
            key=str(r.get("RECORDNO", "")),
            invoice_number=str(r.get("RECORDID") or ""),
            customer_id=str(r.get("CUSTOMERID") or ""),
            state=str(r.get("STATE") or ""),
            total=_decimal(r.get("TRX_TOTALENTERED")),
            due=_decimal(r.get("TRX_TOTALDUE")),
            modified=_when(r.get("WHENMODIFIED")),
        )


# -- field catalog ---------------------------------------------------------------


def read_field_catalog(client: IntacctClient, obj: str) -> list[FieldInfo]:
    """Field names, types and flags of an object, for mapping validation."""
    module = registry.OBJECTS.get(obj.upper())
    xml_name = module.SPEC.xml_object if module else obj.upper()
    rest_name = module.SPEC.rest_object if module else None
    if rest_name is None and module is None and "/" in obj:
        rest_name, xml_name = obj, ""
    order = client.router.order("read_field_catalog")
    if not rest_name:
        order = [p for p in order if p == XML]
    if not xml_name:
        order = [p for p in order if p == REST]

    def run(proto: str) -> list[FieldInfo]:
        if proto == REST:
            return _flatten_model(client.rest.model(rest_name))
        result = client.xml.call(builder.function("lookup", {"object": xml_name}))
        return _lookup_fields(result)

    return client.routed("read_field_catalog", order, run)


def _flatten_model(model: dict[str, Any], prefix: str = "") -> list[FieldInfo]:
    out = []
    for name, f in (model.get("fields") or {}).items():
        out.append(
            FieldInfo(
                prefix + name,
                str(f.get("type", "string")),
                bool(f.get("required")),
                bool(f.get("readOnly")),
                f.get("maxLength"),
            )
        )
    for part in ("groups", "refs"):
        for name, sub in (model.get(part) or {}).items():
            out.extend(_flatten_model(sub, f"{prefix}{name}."))
    for name, sub in (model.get("lists") or {}).items():
        out.extend(_flatten_model(sub, f"{prefix}{name}[]."))
    return out


def _lookup_fields(result) -> list[FieldInfo]:
    out = []
    if result.data is None:
        return out
    for f in result.data.iter("Field"):

        def text(*names: str, f=f) -> str:
            for n in names:
                value = f.findtext(n)
                if value is not None:
                    return value.strip()
            return ""

        length = text("maxLength", "MAXLENGTH")
        out.append(
            FieldInfo(
                name=text("ID", "Name", "NAME"),
                type=text("DATATYPE", "externalDataName", "dataName") or "string",
                required=text("REQUIRED", "isRequired").lower() == "true",
                read_only=text("READONLY", "isReadOnly").lower() == "true",
                max_length=int(length) if length.isdigit() else None,
                label=text("LABEL", "DisplayLabel"),
            )
        )
    return out
