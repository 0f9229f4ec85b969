"""The business operations both APIs call: one implementation of Intacct's rules.

Every function takes a `Context` (who is asking, in which company/entity,
through which API) and raises `sandbox.errors.IntacctError` subclasses. Each
successful create/update/delete/read/query bills one API transaction (Intacct
counts one per header object and one per query call, whatever the row count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sandbox import errors, validation
from sandbox.company import Company, User
from sandbox.objects import SPECS, ObjectSpec, spec_for
from sandbox.store import Store

# Fields the caller may not set: the store assigns them.
_SYSTEM_FIELDS = ("RECORDNO", "WHENMODIFIED", "MEGAENTITYID", "BATCHNO")


@dataclass(frozen=True)
class Context:
    """Who is calling: store, company, user (None = the sandbox itself), entity, API."""

    store: Store
    company: Company
    user: User | None = None
    entity: str | None = None
    api: str = "xml"

    @property
    def company_id(self) -> str:
        """The company's id."""
        return self.company.company_id


def system_context(store: Store, company: Company) -> Context:
    """A context that skips permission checks (seeding, controls)."""
    return Context(store, company, user=None, api="system")


def bill(ctx: Context, n: int = 1) -> None:
    """Count `n` billable API transactions for the company."""
    if ctx.api != "system":
        ctx.store.incr(ctx.company_id, "billed_transactions", n)
        ctx.store.incr(ctx.company_id, f"billed_{ctx.api}", n)


def resolve(obj: str) -> ObjectSpec:
    """The object's spec or an 'Object definition X not found' error."""
    spec = spec_for(obj)
    if spec is None:
        raise errors.unknown_object(obj)
    return spec


def authorize(ctx: Context, spec: ObjectSpec, operation: str) -> None:
    """Raise the permission error unless the user may do `operation` on the object."""
    if ctx.user is not None and not ctx.user.allowed(spec.name, operation):
        raise errors.permission(spec.name, operation)


# --- writes ---------------------------------------------------------------------------


def create(ctx: Context, obj: str, fields: dict) -> dict:
    """Validate and store a new object; returns the stored row (with RECORDNO)."""
    spec = _writable(ctx, obj, "create")
    row = {**spec.defaults, **_clean(spec, fields)}
    with ctx.store.transaction():
        _assign_ids(ctx, spec, row)
        validation.prepare(ctx, spec, row, "create")
        if spec.id_field and ctx.store.get_by_id(
            ctx.company_id, spec.name, row[spec.id_field]
        ):
            ctx.store.incr(ctx.company_id, "rejected_duplicates")
            raise errors.duplicate(spec.label, spec.id_field, row[spec.id_field])
        row["MEGAENTITYID"] = ctx.entity or ""
        if spec.name in ("ARINVOICE", "ARADJUSTMENT", "SODOCUMENT", "ICDOCUMENT"):
            row["AUDITWHENCREATED"] = ctx.store.clock.utcnow().strftime(
                "%m/%d/%Y %H:%M:%S"
            )
        stored = ctx.store.insert(ctx.company_id, spec.name, row, spec.id_field)
    bill(ctx)
    return stored


def update(ctx: Context, obj: str, fields: dict, key=None) -> dict:
    """Merge `fields` into the record named by `key`, RECORDNO or the ID field."""
    spec = _writable(ctx, obj, "update")
    with ctx.store.transaction():
        current = _locate(ctx, spec, fields, key, "update")
        new_id = fields.get(spec.id_field) if spec.id_field else None
        if new_id not in (None, "") and str(new_id) != str(current.get(spec.id_field)):
            if key is None and fields.get("RECORDNO") in (None, ""):
                raise errors.not_found(spec.name, spec.id_field, new_id)
            raise errors.invalid(
                spec.label,
                spec.id_field,
                f"{spec.id_field} cannot be changed.",
                "update",
            )
        if current.get("STATE") == "Reversed":
            raise errors.invalid(
                spec.label,
                "STATE",
                "A reversed transaction cannot be changed.",
                "update",
            )
        validation.check_open(ctx, spec, current, "update")
        row = {**current, **_clean(spec, fields)}
        validation.prepare(ctx, spec, row, "update")
        stored = ctx.store.replace(ctx.company_id, spec.name, row, spec.id_field)
    bill(ctx)
    return stored


def delete(ctx: Context, obj: str, key) -> None:
    """Delete the record with RECORDNO `key`."""
    spec = _writable(ctx, obj, "delete")
    with ctx.store.transaction():
        current = _visible(ctx, ctx.store.get(ctx.company_id, spec.name, key))
        if current is None:
            raise errors.not_found(spec.name, "RECORDNO", key, "delete")
        validation.check_open(ctx, spec, current, "delete")
        _check_unused(ctx, spec, current)
        ctx.store.delete(ctx.company_id, spec.name, key)
    bill(ctx)


def reverse_invoice(
    ctx: Context, key, when=None, description: str | None = None
) -> dict:
    """Reverse (void) a posted invoice: STATE 'Reversed', nothing left due."""
    spec = _writable(ctx, "ARINVOICE", "update")
    with ctx.store.transaction():
        invoice = _visible(ctx, ctx.store.get(ctx.company_id, "ARINVOICE", key))
        if invoice is None:
            raise errors.not_found("ARINVOICE", "RECORDNO", key, "reverse")
        if invoice.get("STATE") == "Reversed" or validation.money(
            invoice.get("TOTALPAID") or 0
        ):
            raise errors.invalid(
                spec.label,
                "STATE",
                "Only an unpaid, unreversed invoice can be reversed.",
                "reverse",
            )
        when = validation.parse_date(when) or ctx.store.clock.utcnow().date()
        validation.check_open(
            ctx, spec, {"WHENPOSTED": validation.xml_date(when)}, "reverse"
        )
        invoice.update(
            STATE="Reversed", WHENREVERSED=validation.xml_date(when), TOTALDUE="0.00"
        )
        invoice["TRX_TOTALDUE"] = "0.00"
        if description:
            invoice["REVERSALDESCRIPTION"] = description
        stored = ctx.store.replace(ctx.company_id, "ARINVOICE", invoice)
    bill(ctx)
    return stored


def apply_payment(
    ctx: Context, invoice_key, amount, when=None, method: str = "EFT"
) -> dict:
    """Record a payment against an invoice (ARPYMT is read-only over the APIs)."""
    with ctx.store.transaction():
        invoice = ctx.store.get(ctx.company_id, "ARINVOICE", invoice_key)
        if invoice is None:
            raise errors.not_found("ARINVOICE", "RECORDNO", invoice_key, "pay")
        paid_now = validation.money(amount)
        paid = validation.money(invoice.get("TOTALPAID") or 0) + paid_now
        due = validation.money(invoice["TOTALENTERED"]) - paid
        when = validation.xml_date(
            validation.parse_date(when) or ctx.store.clock.utcnow().date()
        )
        invoice.update(
            TOTALPAID=str(paid),
            TOTALDUE=str(due),
            TRX_TOTALDUE=str(due),
            STATE="Paid" if due <= 0 else "Partially Paid",
            WHENPAID=when,
        )
        ctx.store.replace(ctx.company_id, "ARINVOICE", invoice)
        return ctx.store.insert(
            ctx.company_id,
            "ARPYMT",
            {
                "CUSTOMERID": invoice["CUSTOMERID"],
                "WHENCREATED": when,
                "WHENPAID": when,
                "PAYMENTMETHOD": method,
                "TOTALENTERED": str(paid_now),
                "STATE": "Posted",
                "INVOICEKEY": str(invoice["RECORDNO"]),
                "DOCNUMBER": invoice.get("RECORDID", ""),
                "MEGAENTITYID": invoice.get("MEGAENTITYID", ""),
            },
        )


# --- reads ----------------------------------------------------------------------------


def read(ctx: Context, obj: str, key) -> dict | None:
    """The record with RECORDNO `key`, or None (Intacct answers an empty result)."""
    spec = resolve(obj)
    authorize(ctx, spec, "read")
    bill(ctx)
    return _visible(ctx, ctx.store.get(ctx.company_id, spec.name, key))


def read_by_id(ctx: Context, obj: str, idval) -> dict | None:
    """The record whose ID field equals `idval` (readByName), or None."""
    spec = resolve(obj)
    authorize(ctx, spec, "read")
    bill(ctx)
    if spec.id_field is None:
        return read(ctx, obj, idval)
    return _visible(ctx, ctx.store.get_by_id(ctx.company_id, spec.name, idval))


def query(
    ctx: Context,
    obj: str,
    where=None,
    order=None,
    offset: int = 0,
    limit: int | None = None,
    case_insensitive: bool = False,
) -> tuple[list[dict], int]:
    """Rows matching a filter tree (sandbox.filters), paged; plus the total count."""
    spec = resolve(obj)
    authorize(ctx, spec, "read")
    if ctx.entity:
        scope = ("in", "MEGAENTITYID", ["", ctx.entity])
        where = scope if where is None else ("and", [scope, where])
    bill(ctx)
    return ctx.store.select(
        ctx.company_id, spec.name, where, order, offset, limit, case_insensitive
    )


# --- helpers --------------------------------------------------------------------------


def _writable(ctx: Context, obj: str, operation: str) -> ObjectSpec:
    spec = resolve(obj)
    authorize(ctx, spec, operation)
    if not spec.writable:
        raise errors.invalid(
            spec.label,
            "",
            f"{spec.name} cannot be {operation}d through the API.",
            operation,
        )
    return spec


def _clean(spec: ObjectSpec, fields: dict) -> dict:
    row = {k: v for k, v in fields.items() if k not in _SYSTEM_FIELDS}
    if "WHENCREATED" not in spec.dates:
        row.pop("WHENCREATED", None)
    return row


def _assign_ids(ctx: Context, spec: ObjectSpec, row: dict) -> None:
    """Auto-numbering: customer IDs, journal batch numbers, document numbers."""
    if spec.name == "CUSTOMER" and validation.blank(row.get("CUSTOMERID")):
        row["CUSTOMERID"] = (
            f"CUST-{ctx.store.next_number(ctx.company_id, 'CUSTOMERID'):05d}"
        )
    elif spec.name == "GLBATCH":
        row["BATCHNO"] = str(
            ctx.store.next_number(ctx.company_id, f"BATCHNO:{row.get('JOURNAL')}")
        )
    elif spec.name == "SODOCUMENT":
        if validation.blank(row.get("DOCNO")):
            row["DOCNO"] = f"SO{ctx.store.next_number(ctx.company_id, 'DOCNO'):05d}"
        row["DOCID"] = f"{row.get('DOCPARID', '')}-{row['DOCNO']}"
    elif spec.name == "ICDOCUMENT":
        if validation.blank(row.get("DOCNO")):
            number = ctx.store.next_number(ctx.company_id, "ICDOCNO")
            row["DOCNO"] = f"ADJ{number:05d}"
        row["DOCID"] = f"{row.get('DOCPARID', '')}-{row['DOCNO']}"
    if (
        spec.id_field
        and spec.id_field in row
        and not validation.blank(row[spec.id_field])
    ):
        row[spec.id_field] = str(row[spec.id_field])


def _locate(ctx: Context, spec: ObjectSpec, fields: dict, key, verb: str) -> dict:
    recordno = key if key not in (None, "") else fields.get("RECORDNO")
    if recordno not in (None, ""):
        found = _visible(ctx, ctx.store.get(ctx.company_id, spec.name, recordno))
        if found is None:
            raise errors.not_found(spec.name, "RECORDNO", recordno, verb)
        return found
    idval = fields.get(spec.id_field) if spec.id_field else None
    if idval in (None, ""):
        raise errors.required(spec.label, "RECORDNO", verb)
    found = _visible(ctx, ctx.store.get_by_id(ctx.company_id, spec.name, idval))
    if found is None:
        raise errors.not_found(spec.name, spec.id_field, idval, verb)
    return found


def _visible(ctx: Context, row: dict | None) -> dict | None:
    """Entity sessions see their own rows and top-level (shared) rows only."""
    if row is None or not ctx.entity:
        return row
    return row if row.get("MEGAENTITYID", "") in ("", ctx.entity) else None


# Which documents point at a master record, so it cannot be deleted while used.
_USED_BY = {
    "CUSTOMER": (
        ("ARINVOICE", "CUSTOMERID"),
        ("SODOCUMENT", "CUSTVENDID"),
        ("ARADJUSTMENT", "CUSTOMERID"),
    ),
}


def _check_unused(ctx: Context, spec: ObjectSpec, row: dict) -> None:
    for obj, field_name in _USED_BY.get(spec.name, ()):
        used, _ = ctx.store.select(
            ctx.company_id, obj, ("eq", field_name, row[spec.id_field]), limit=1
        )
        if used:
            raise errors.invalid(
                spec.label,
                spec.id_field,
                f"{spec.label} {row[spec.id_field]} is used by "
                f"{SPECS[obj].label.lower()} "
                f"records and cannot be deleted.",
                "delete",
            )


def today(ctx: Context) -> date:
    """The sandbox's idea of today (follows the test clock)."""
    return ctx.store.clock.utcnow().date()
