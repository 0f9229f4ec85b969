"""company-config/location, department and class <-> LOCATION, DEPARTMENT, CLASS.

The company-configuration OpenAPI document is not among the shared ones; the
shapes follow the department model example in common-resources (id, name,
status, parent, supervisor) and Intacct's XML field names.
"""

from __future__ import annotations

from sandbox.rest.fieldmap import Field, Ref, RestObject
from sandbox.rest.objects.common import STATUS

LOCATION = RestObject(
    name="company-config/location",
    xml_object="LOCATION",
    id_field="LOCATIONID",
    specs=(
        Field("id", "LOCATIONID"),
        Field("name", "NAME"),
        Field("status", "STATUS", choices=STATUS),
        Field("description", "DESCRIPTION"),
        Field("currency", "CURRENCY"),
        Ref(
            "parent",
            "PARENTID",
            target="company-config/location",
            xml_object="LOCATION",
            id_field="LOCATIONID",
            name_field="NAME",
        ),
    ),
)

DEPARTMENT = RestObject(
    name="company-config/department",
    xml_object="DEPARTMENT",
    id_field="DEPARTMENTID",
    specs=(
        Field("id", "DEPARTMENTID"),
        Field("name", "TITLE"),
        Field("status", "STATUS", choices=STATUS),
        Field("reportTitle", "CUSTTITLE"),
        Ref(
            "parent",
            "PARENTID",
            target="company-config/department",
            xml_object="DEPARTMENT",
            id_field="DEPARTMENTID",
            name_field="TITLE",
        ),
        Ref("supervisor", "SUPERVISORID", target="company-config/employee"),
    ),
)

CLASS = RestObject(
    name="company-config/class",
    xml_object="CLASS",
    id_field="CLASSID",
    specs=(
        Field("id", "CLASSID"),
        Field("name", "NAME"),
        Field("description", "DESCRIPTION"),
        Field("status", "STATUS", choices=STATUS),
        Ref(
            "parent",
            "PARENTID",
            target="company-config/class",
            xml_object="CLASS",
            id_field="CLASSID",
            name_field="NAME",
        ),
    ),
)
