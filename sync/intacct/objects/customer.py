"""CUSTOMER <-> accounts-receivable/customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.intacct.objects.base import ObjectSpec, prune, ref
from sync.intacct.xmlgw.builder import Function, generic_write

SPEC = ObjectSpec(
    xml_object="CUSTOMER",
    rest_object="accounts-receivable/customer",
    xml_ref="CUSTOMERID",
    rest_ref="id",
    xml_id="CUSTOMERID",
)


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Customer:
    """A customer; `customer_id` is the reference the hub derives."""

    customer_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    company_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address: Address | None = None
    status: str = "active"
    currency: str | None = None
    term: str | None = None
    notes: str | None = None
    custom_fields: dict[str, str] = field(default_factory=dict)


def reference(record: Customer, idempotency_key: str) -> str:
    return record.customer_id


def _xml_fields(c: Customer) -> dict[str, Any]:
    a = c.address or Address()
    return {
        "CUSTOMERID": c.customer_id,
        "NAME": c.name,
        "DISPLAYCONTACT": {
            "PRINTAS": c.name,
            "COMPANYNAME": c.company_name,
            "FIRSTNAME": c.first_name,
            "LASTNAME": c.last_name,
            "PHONE1": c.phone,
            "EMAIL1": c.email,
            "MAILADDRESS": {
                "ADDRESS1": a.line1,
                "ADDRESS2": a.line2,
                "CITY": a.city,
                "STATE": a.state,
                "ZIP": a.postcode,
                "COUNTRY": a.country,
            }
            if c.address
            else None,
        },
        "STATUS": c.status,
        "TERMNAME": c.term,
        "CURRENCY": c.currency,
        "COMMENTS": c.notes,
        **c.custom_fields,
    }


def xml_create(record: Customer, controlid: str) -> Function:
    return generic_write("create", "CUSTOMER", _xml_fields(record), controlid=controlid)


def xml_update(record: Customer, key: str, controlid: str) -> Function:
    fields = {"RECORDNO": key, **_xml_fields(record)}
    return generic_write("update", "CUSTOMER", fields, controlid=controlid)


def rest_body(record: Customer, idempotency_key: str) -> dict[str, Any]:
    c, a = record, record.address or Address()
    return prune(
        {
            "id": c.customer_id,
            "name": c.name,
            "status": c.status,
            "currency": c.currency,
            "notes": c.notes,
            "term": ref(c.term),
            "contacts": {
                "default": {
                    "printAs": c.name,
                    "companyName": c.company_name,
                    "firstName": c.first_name,
                    "lastName": c.last_name,
                    "email1": c.email,
                    "phone1": c.phone,
                    "mailingAddress": {
                        "addressLine1": a.line1,
                        "addressLine2": a.line2,
                        "city": a.city,
                        "state": a.state,
                        "postCode": a.postcode,
                        "country": a.country,
                    },
                }
            },
        }
    )


def needs_xml(record: Customer) -> bool:
    """Custom fields have no fixed REST name: only XML takes them verbatim."""
    return bool(record.custom_fields)
