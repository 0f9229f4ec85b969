"""One exception family for every Intacct error the sandbox raises.

Rules raise these; each API renders them in its own shape (XML `<errormessage>`
blocks, REST `ia::error` with `details`). An error carries one or more
`ErrorDetail`s because Intacct usually sends a specific error followed by a
generic "Could not create X record!" trailer.

Error numbers taken from recorded responses are marked [S]; the ones we had to
choose (no source shows the real one) are marked [I] and listed in README.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorDetail:
    """One `<error>` element: errorno, description, description2, correction."""

    errorno: str
    description: str = ""
    description2: str = ""
    correction: str = ""
    field: str | None = None

    def as_dict(self) -> dict:
        """Plain dict, handy for JSON renderers."""
        return {
            "errorno": self.errorno,
            "description": self.description,
            "description2": self.description2,
            "correction": self.correction,
            "field": self.field,
        }


class IntacctError(Exception):
    """Base class; `errors` is the list of details, first one is the cause."""

    # Hints for the REST renderer (ia::error code + HTTP status).
    rest_code = "operationFailed"
    http_status = 422

    def __init__(self, *errors: ErrorDetail):
        self.errors: list[ErrorDetail] = list(errors) or [ErrorDetail("DL02000001")]
        super().__init__(self.message)

    @property
    def errorno(self) -> str:
        """Error number of the first (most specific) error."""
        return self.errors[0].errorno

    @property
    def field(self) -> str | None:
        """The field the first error is about, when known."""
        return self.errors[0].field

    @property
    def message(self) -> str:
        """Human text of the first error."""
        first = self.errors[0]
        return first.description2 or first.description or first.errorno


class ValidationFailed(IntacctError):
    """Business validation failed (required field, bad reference, unbalanced…)."""


class DuplicateValue(IntacctError):
    """An object with the same ID already exists."""

    rest_code = "duplicateValue"
    http_status = 409


class NotFound(IntacctError):
    """The addressed record does not exist."""

    rest_code = "notFound"
    http_status = 404


class PermissionDenied(IntacctError):
    """The user lacks the permission for this object and operation."""

    rest_code = "forbidden"
    http_status = 403


class AuthenticationFailed(IntacctError):
    """Bad user/company/password, unknown or expired session, bad entity."""

    rest_code = "invalidRequest"
    http_status = 401


class InvalidRequest(IntacctError):
    """The request itself is malformed (unknown object, bad query…)."""

    rest_code = "invalidRequest"
    http_status = 400


# --- factories: one place for every message text -------------------------------

GENERIC = "BL01001973"  # [S] Intacct's catch-all business error number
DUPLICATE = (
    "BL34000061"  # [S] "Another Class with the given value(s) UT01  already exists"
)
AUTH = "XL03000006"  # [S] sign-in / sender authorisation failures
PARSE = "XL03000003"  # [S] XML parse / schema errors
ROLLED_BACK = "XL03000009"  # [S] transaction="true" rollback marker


def could_not(verb: str, label: str) -> ErrorDetail:
    """The generic trailer Intacct appends: 'Could not create class record!'."""
    return ErrorDetail(
        GENERIC, description2=f"Could not {verb} {label.lower()} record!"
    )


def required(label: str, field_name: str, verb: str = "create") -> ValidationFailed:
    """A required field is missing or empty. [I]"""
    return ValidationFailed(
        ErrorDetail(
            GENERIC,
            description="Required field missing",
            description2=f"Required field {field_name} is missing.",
            correction=f"Provide a value for {field_name}.",
            field=field_name,
        ),
        could_not(verb, label),
    )


def invalid(
    label: str, field_name: str, text: str, verb: str = "create"
) -> ValidationFailed:
    """A field has an unacceptable value. [I]"""
    return ValidationFailed(
        ErrorDetail(
            GENERIC,
            description2=text,
            correction="Enter a valid value.",
            field=field_name,
        ),
        could_not(verb, label),
    )


def invalid_reference(
    label: str, field_name: str, ref_label: str, value: str, verb: str = "create"
) -> ValidationFailed:
    """A reference (customer, account, item, dimension…) does not exist. [I]"""
    return ValidationFailed(
        ErrorDetail(
            GENERIC,
            description=f"Invalid {ref_label}",
            description2=f"Invalid {ref_label} '{value}' specified.",
            correction=f"Pick a valid, active {ref_label.lower()}.",
            field=field_name,
        ),
        could_not(verb, label),
    )


def duplicate(label: str, field_name: str, value: str) -> DuplicateValue:
    """The ID is taken: BL34000061 then BL01001973, exactly as recorded. [S]"""
    return DuplicateValue(
        ErrorDetail(
            DUPLICATE,
            # The double space before "already" is Intacct's own.
            description2=f"Another {label} with the given value(s) {value}  "
            "already exists",
            correction="Use a unique value instead.",
            field=field_name,
        ),
        could_not("create", label),
    )


def not_found(obj: str, id_field: str, value: str, verb: str = "update") -> NotFound:
    """Update/delete of a missing record; the text sits in errorno. [S]"""
    return NotFound(
        ErrorDetail(f"Cannot {verb} non-existing {obj} with {id_field}={value}.")
    )


def unbalanced(debits: str, credits: str) -> ValidationFailed:
    """A journal entry whose debits and credits differ. [I]"""
    return ValidationFailed(
        ErrorDetail(
            GENERIC,
            description="Transaction is out of balance",
            description2=f"Debits ({debits}) and credits ({credits}) are not equal.",
            correction="Make the debits equal the credits.",
            field="ENTRIES",
        ),
        could_not("create", "Journal entry"),
    )


def closed_period(
    label: str, field_name: str, date: str, closed_through: str
) -> ValidationFailed:
    """Posting dated in a closed period. [I]"""
    return ValidationFailed(
        ErrorDetail(
            GENERIC,
            description="Periods are closed",
            description2=(
                f"The date {date} is in a closed period; "
                f"books are closed through {closed_through}."
            ),
            correction="Use a date in an open period, or reopen the period.",
            field=field_name,
        ),
        could_not("create", label),
    )


def permission(obj: str, operation: str) -> PermissionDenied:
    """Clients key on 'You do not have permission for API'. [S text, I number]"""
    return PermissionDenied(
        ErrorDetail(
            GENERIC,
            description="Permission denied",
            description2=(
                f"You do not have permission for API operation {operation.upper()} "
                f"on objects of type {obj.lower()}"
            ),
            correction="Ask your administrator to grant the permission.",
        )
    )


def unknown_object(obj: str) -> InvalidRequest:
    """Unknown object. [S: 'Object definition BADOBJECT not found']"""
    return InvalidRequest(
        ErrorDetail("Query Failed", description2=f"Object definition {obj} not found")
    )


def sign_in_failed() -> AuthenticationFailed:
    """Bad user id / company / password. [S]"""
    return AuthenticationFailed(
        ErrorDetail(AUTH, description2="Sign-in information is incorrect")
    )


def invalid_session() -> AuthenticationFailed:
    """Unknown or expired session id. [I: text not found in any source]"""
    return AuthenticationFailed(ErrorDetail(AUTH, description2="Invalid session"))


def sender_not_authorized(sender_id: str, company_id: str) -> AuthenticationFailed:
    """Sender is valid but not on the company's Web Services authorisation list. [S]"""
    return AuthenticationFailed(
        ErrorDetail(
            AUTH,
            description="Invalid Web Services Authorization",
            description2=(
                f"The sender ID '{sender_id}' is not authorized to make Web Services "
                f"requests to company ID '{company_id}'."
            ),
            correction=(
                "Contact the company administrator to grant Web Services "
                "authorization to this sender ID."
            ),
        )
    )
