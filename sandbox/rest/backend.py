"""The one adapter between the REST half and the shared sandbox layer.

Everything CORE-specific lives here: the rules layer for every read and write
(so both APIs share one set of business rules and one transaction meter), the
company directory for OAuth, and how ``sandbox.errors.IntacctError`` becomes a
REST ``ia::error`` with ``details`` naming REST fields.
"""

from __future__ import annotations

from typing import Any

from sandbox import company as companies
from sandbox import errors as core_errors
from sandbox import rules
from sandbox.rest import errors
from sandbox.rest.fieldmap import Lines, Ref, RestObject


class Backend:
    """REST-facing view of one sandbox: rows, writes, users and OAuth clients."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.store = sandbox.store

    # -- callers -----------------------------------------------------------------

    def context(self, caller) -> rules.Context:
        """The rules context for a caller; 401 if the company, user or entity went."""
        company = companies.load(self.store, caller.company_id)
        user = company.user(caller.user_id) if company else None
        if company is None or user is None:
            raise errors.token_invalid()
        try:
            companies.check_entity(company, caller.entity_id or None)
        except core_errors.AuthenticationFailed:
            raise errors.RestError(
                400,
                "invalidRequest",
                f"Invalid entity '{caller.entity_id}'",
                error_id="REST-1066",
                message_id="IA.INVALID_ENTITY",
                placeholders={"ENTITY": caller.entity_id},
            ) from None
        return rules.Context(
            self.store, company, user, caller.entity_id or None, "rest"
        )

    def oauth_client(self, client_id: str) -> dict[str, Any] | None:
        """The client's secrets (one per authorising company), or None."""
        found: dict[str, str] = {}
        for company_id in self.store.company_ids():
            config = self.store.company_get(company_id) or {}
            secret = config.get("oauth_clients", {}).get(client_id)
            if secret is not None:
                found[company_id] = secret
        if not client_id or not found:
            return None
        return {"secrets": list(found.values()), "companies": found}

    def client_allowed(self, client_id: str, company_id: str) -> bool:
        """Has this company authorised the OAuth client?"""
        client = self.oauth_client(client_id)
        return client is not None and company_id in client["companies"]

    def check_user(self, company_id, user_id, entity_id, *, password=None) -> str:
        """Why this user may not sign in ("" when they may)."""
        try:
            if password is None:
                company = companies.load(self.store, company_id)
                if company is None or company.user(user_id) is None:
                    return "Sign-in information is incorrect"
                companies.check_entity(company, entity_id or None)
            else:
                companies.authenticate(
                    self.store, company_id, user_id, password, entity_id or None
                )
        except core_errors.AuthenticationFailed as exc:
            return exc.message
        return ""

    # -- reads -------------------------------------------------------------------

    def rows(self, ctx: rules.Context, obj: RestObject) -> list[dict]:
        """Every visible row of ``obj`` (one billed query)."""
        rows, _ = self._call(
            lambda: rules.query(ctx, obj.xml_object, obj.stored_filter), obj, "read"
        )
        return rows

    def get(self, ctx: rules.Context, obj: RestObject, key: str) -> dict | None:
        """One visible row by key (one billed read), or None."""
        row = self._call(lambda: rules.read(ctx, obj.xml_object, key), obj, "read")
        return row if row is not None and _matches(obj, row) else None

    def peek(self, ctx: rules.Context, obj: RestObject, key: str) -> dict | None:
        """A row by key without billing, for PATCH line merges and 404s."""
        row = self.store.get(ctx.company_id, obj.xml_object, key)
        if row is None or not _matches(obj, row):
            return None
        if ctx.entity and row.get("MEGAENTITYID", "") not in ("", ctx.entity):
            return None
        return row

    def resolver(self, ctx: rules.Context) -> Resolver:
        """Looks referenced records up for ``{"key","id","name"}`` refs."""
        return Resolver(self.store, ctx.company_id)

    # -- writes ------------------------------------------------------------------

    def create(self, ctx: rules.Context, obj: RestObject, values: dict) -> dict:
        return self._call(
            lambda: rules.create(ctx, obj.xml_object, values), obj, "create"
        )

    def update(
        self, ctx: rules.Context, obj: RestObject, key: str, values: dict
    ) -> dict:
        return self._call(
            lambda: rules.update(ctx, obj.xml_object, values, key=key), obj, "update"
        )

    def delete(self, ctx: rules.Context, obj: RestObject, key: str) -> None:
        self._call(lambda: rules.delete(ctx, obj.xml_object, key), obj, "delete")

    def _call(self, call, obj: RestObject, verb: str):
        try:
            return call()
        except core_errors.IntacctError as exc:
            raise from_intacct(exc, obj, verb) from None


def _matches(obj: RestObject, row: dict) -> bool:
    """Named documents only see their own type (DOCPARID)."""
    if not obj.stored_filter:
        return True
    _, field, value = obj.stored_filter
    return row.get(field) == value


class Resolver:
    """Reference lookups for one request, memoised per (object, field, value)."""

    def __init__(self, store, company_id: str):
        self.store, self.company_id = store, company_id
        self._seen: dict[tuple, dict | None] = {}

    def find(self, xml_object: str, id_field: str, *, id=None, key=None) -> dict | None:
        memo = (xml_object, id, key)
        if memo not in self._seen:
            if key is not None:
                self._seen[memo] = self.store.get(self.company_id, xml_object, key)
            else:
                self._seen[memo] = self.store.get_by_id(self.company_id, xml_object, id)
        return self._seen[memo]


# -- errors -------------------------------------------------------------------------


def from_intacct(
    exc: core_errors.IntacctError, obj: RestObject | None = None, verb: str = ""
) -> errors.RestError:
    """The REST answer for a shared-layer error: its status, code and details."""
    if isinstance(exc, core_errors.NotFound) and obj is not None:
        return errors.not_found(obj.path)
    details = [
        errors.detail(
            d.errorno,
            d.description2 or d.description or d.errorno,
            target=rest_target(obj, d.field) if obj and d.field else "",
            message_id=f"IA.{type(exc).__name__.upper()}",
        )
        for d in exc.errors
    ]
    if exc.http_status in (409, 422) and obj is not None and verb:
        message = f"Operation {verb} object {obj.name.split('/')[-1]} failed"
    else:
        message = exc.message
    return errors.RestError(
        exc.http_status,
        exc.rest_code,
        message,
        error_id="REST-1064" if exc.http_status == 422 else "",
        message_id="IA.OPERATION_FAILED" if exc.http_status in (409, 422) else "",
        details=details,
    )


def rest_target(obj: RestObject, xml_field: str) -> str:
    """The REST pointer for an XML field: ``/customer/id``, ``/lines/glAccount/id``."""
    for spec in obj.specs:
        if not isinstance(spec, Lines) and spec.xml == xml_field:
            return "/" + _pointer(spec)
    lines = next((s for s in obj.specs if isinstance(s, Lines)), None)
    if lines is not None:
        inner = xml_field.rsplit(".", 1)[-1]  # "GLENTRY.ACCOUNTNO" -> "ACCOUNTNO"
        for spec in lines.fields:
            if spec.xml == inner:
                return f"/{lines.rest}/{_pointer(spec)}"
        if xml_field == lines.xml:
            return f"/{lines.rest}"
    return "/" + xml_field


def _pointer(spec) -> str:
    path = spec.rest.replace(".", "/")
    return f"{path}/id" if isinstance(spec, Ref) else path
