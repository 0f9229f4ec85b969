"""Field-table pieces shared by several objects."""

from __future__ import annotations

from sandbox.rest.fieldmap import Ref

STATUS = {"active": "active", "inactive": "inactive"}


def dimensions(prefix: str, *, style: str = "legacy") -> tuple[Ref, ...]:
    """The ``dimensions`` refs of a line; GLENTRY names two of them differently."""
    xml = {
        "location": "LOCATIONID",
        "department": "DEPARTMENTID",
        "project": "PROJECTID",
        "customer": "CUSTOMERID",
        "vendor": "VENDORID",
        "employee": "EMPLOYEEID",
        "item": "ITEMID",
        "class": "CLASSID",
        "warehouse": "WAREHOUSEID",
    }
    if style == "glentry":  # WIRE.md A.8: GLENTRY uses LOCATION / DEPARTMENT
        xml.update(location="LOCATION", department="DEPARTMENT")
    targets = {
        "location": ("company-config/location", "LOCATION", "LOCATIONID"),
        "department": ("company-config/department", "DEPARTMENT", "DEPARTMENTID"),
        "class": ("company-config/class", "CLASS", "CLASSID"),
        "customer": ("accounts-receivable/customer", "CUSTOMER", "CUSTOMERID"),
        "item": ("inventory-control/item", "ITEM", "ITEMID"),
        "project": ("projects/project", "PROJECT", "PROJECTID"),
        "vendor": ("accounts-payable/vendor", "VENDOR", "VENDORID"),
        "employee": ("company-config/employee", "EMPLOYEE", "EMPLOYEEID"),
        "warehouse": ("inventory-control/warehouse", "WAREHOUSE", "WAREHOUSEID"),
    }
    return tuple(
        Ref(
            f"{prefix}{dim}",
            field,
            target=targets[dim][0],
            xml_object=targets[dim][1],
            id_field=targets[dim][2],
            name_field="TITLE" if dim == "department" else "NAME",
        )
        for dim, field in xml.items()
    )


def gl_account(rest: str, xml: str) -> Ref:
    """A reference to a GL account by its account number."""
    return Ref(
        rest,
        xml,
        target="general-ledger/account",
        xml_object="GLACCOUNT",
        id_field="ACCOUNTNO",
        name_field="TITLE",
    )
