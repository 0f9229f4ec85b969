"""accounts-receivable/customer <-> CUSTOMER."""

from __future__ import annotations

from sandbox.rest.fieldmap import Field, Ref, RestObject
from sandbox.rest.objects.common import STATUS, gl_account

_CONTACT = "contacts.default."
_ADDRESS = _CONTACT + "mailingAddress."

CUSTOMER = RestObject(
    name="accounts-receivable/customer",
    xml_object="CUSTOMER",
    id_field="CUSTOMERID",
    specs=(
        Field("id", "CUSTOMERID"),
        Field("name", "NAME"),
        Field("status", "STATUS", choices=STATUS),
        Field("taxId", "TAXID"),
        Field("creditLimit", "CREDITLIMIT", kind="number"),
        Field("isOnHold", "ONHOLD", kind="boolean"),
        Field("notes", "COMMENTS"),
        Field("currency", "CURRENCY"),
        Field("totalDue", "TOTALDUE", kind="decimal", read_only=True),
        Field("deliveryOptions", "DELIVERY_OPTIONS"),
        Ref(
            "parent",
            "PARENTID",
            target="accounts-receivable/customer",
            xml_object="CUSTOMER",
            id_field="CUSTOMERID",
            name_field="NAME",
        ),
        Ref(
            "term",
            "TERMNAME",
            target="accounts-receivable/term",
            xml_object="ARTERM",
            id_field="NAME",
        ),
        Ref("customerType", "CUSTTYPE", target="accounts-receivable/customer-type"),
        gl_account("defaultRevenueGLAccount", "ARACCOUNT"),
        Field(_CONTACT + "id", "DISPLAYCONTACT.CONTACTNAME"),
        Field(_CONTACT + "printAs", "DISPLAYCONTACT.PRINTAS"),
        Field(_CONTACT + "companyName", "DISPLAYCONTACT.COMPANYNAME"),
        Field(_CONTACT + "prefix", "DISPLAYCONTACT.PREFIX"),
        Field(_CONTACT + "firstName", "DISPLAYCONTACT.FIRSTNAME"),
        Field(_CONTACT + "middleName", "DISPLAYCONTACT.INITIAL"),
        Field(_CONTACT + "lastName", "DISPLAYCONTACT.LASTNAME"),
        Field(_CONTACT + "email1", "DISPLAYCONTACT.EMAIL1"),
        Field(_CONTACT + "email2", "DISPLAYCONTACT.EMAIL2"),
        Field(_CONTACT + "phone1", "DISPLAYCONTACT.PHONE1"),
        Field(_CONTACT + "phone2", "DISPLAYCONTACT.PHONE2"),
        Field(_CONTACT + "mobile", "DISPLAYCONTACT.CELLPHONE"),
        Field(_CONTACT + "pager", "DISPLAYCONTACT.PAGER"),
        Field(_CONTACT + "fax", "DISPLAYCONTACT.FAX"),
        Field(_CONTACT + "URL1", "DISPLAYCONTACT.URL1"),
        Field(_CONTACT + "URL2", "DISPLAYCONTACT.URL2"),
        Field(_ADDRESS + "addressLine1", "DISPLAYCONTACT.MAILADDRESS.ADDRESS1"),
        Field(_ADDRESS + "addressLine2", "DISPLAYCONTACT.MAILADDRESS.ADDRESS2"),
        Field(_ADDRESS + "addressLine3", "DISPLAYCONTACT.MAILADDRESS.ADDRESS3"),
        Field(_ADDRESS + "city", "DISPLAYCONTACT.MAILADDRESS.CITY"),
        Field(_ADDRESS + "state", "DISPLAYCONTACT.MAILADDRESS.STATE"),
        Field(_ADDRESS + "postCode", "DISPLAYCONTACT.MAILADDRESS.ZIP"),
        Field(_ADDRESS + "country", "DISPLAYCONTACT.MAILADDRESS.COUNTRY"),
        Field(_ADDRESS + "isoCountryCode", "DISPLAYCONTACT.MAILADDRESS.COUNTRYCODE"),
    ),
)
