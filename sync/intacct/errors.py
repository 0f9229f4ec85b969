"""Typed errors for both protocols, each with a verdict (`retryable`).

Every error the client raises is built here, by `from_response()` (an HTTP answer
from either protocol) or `from_xml_errors()` (an `<errormessage>` inside an XML
body that may well have come with HTTP 200).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

_SUPPORT_ID = re.compile(r"\[Support ID:\s*([^\]\s]+)\s*\]")


@dataclass(frozen=True)
class ErrorDetail:
    """One Intacct error line (XML `<error>` or a REST `details[]` item)."""

    errorno: str = ""
    description: str = ""
    description2: str = ""
    correction: str = ""
    target: str = ""

    @property
    def text(self) -> str:
        return self.description2 or self.description or self.errorno


class IntacctError(Exception):
    """Base of every client error. `retryable` says whether trying again can help."""

    retryable = False

    def __init__(
        self,
        message: str = "",
        *,
        details: list[ErrorDetail] | tuple[ErrorDetail, ...] = (),
        status_code: int | None = None,
        protocol: str = "",
        support_id: str = "",
        idempotency_key: str = "",
        code: str = "",
    ):
        self.details = tuple(details)
        first = self.details[0] if self.details else ErrorDetail()
        self.message = message or first.text or type(self).__name__
        self.status_code = status_code
        self.protocol = protocol
        self.code = code
        self.errorno = first.errorno or code
        self.description = first.description
        self.description2 = first.description2
        self.correction = first.correction
        self.support_id = support_id or _support_id(self.details)
        self.idempotency_key = idempotency_key
        super().__init__(self.message)

    def __repr__(self) -> str:
        what = self.errorno or self.status_code
        return f"{type(self).__name__}({what}: {self.message!r})"


class AuthError(IntacctError):
    """Credentials, session or token refused."""


class PermissionDenied(IntacctError):
    """The Intacct user may not do this."""


class NotFound(IntacctError):
    """The addressed record does not exist."""


class ValidationError(IntacctError):
    """The request is malformed or a field value is unacceptable."""


class BusinessRuleError(IntacctError):
    """Intacct refused the write on a business rule (closed period, unbalanced…)."""


class DuplicateRecord(IntacctError):
    """A record with this ID already exists (or the idempotency key was reused)."""


class NotSupported(IntacctError):
    """This protocol does not offer the object or operation; the router falls back."""


class RateLimited(IntacctError):
    """429 / GW-0010 after the retry budget was spent."""

    retryable = True

    def __init__(self, *args: Any, retry_after: float | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.retry_after = retry_after


class ServiceUnavailable(IntacctError):
    """Intacct is down or overloaded (503, gateway 5xx) after retries."""

    retryable = True


class TransportError(IntacctError):
    """The request never got a usable answer (connection refused, DNS, bad body)."""

    retryable = True


class DeadlineReached(TransportError):
    """Not sent: the caller's deadline (the lease on what it is sending) came first.

    Nothing reached Intacct, so a later try is safe.
    """


class OutcomeUnknown(IntacctError):
    """A write was sent but its outcome is unknown (timeout, drop, 524, 5xx).

    Retryable, but only the safe way: pre-read by the write's reference, link if
    it is there, otherwise send again with the same idempotency key(s).
    """

    retryable = True

    def __init__(self, *args: Any, idempotency_keys: tuple[str, ...] = (), **kw: Any):
        if idempotency_keys and not kw.get("idempotency_key"):
            kw["idempotency_key"] = idempotency_keys[0]
        super().__init__(*args, **kw)
        self.idempotency_keys = tuple(idempotency_keys) or (
            (self.idempotency_key,) if self.idempotency_key else ()
        )


def _support_id(details: tuple[ErrorDetail, ...]) -> str:
    for d in details:
        for text in (d.description2, d.description, d.errorno):
            m = _SUPPORT_ID.search(text or "")
            if m:
                return m.group(1)
    return ""


# --- classification -----------------------------------------------------------------

_AUTH_NOS = {"XL03000006", "XMLGW_JPP0002", "GW-0012", "tokenInvalid"}
# Texts of a field-level problem the sender can fix, as opposed to a business rule.
_VALIDATION_TEXT = (
    "required",
    "invalid",
    "illegal",
    "format",
    "cannot be empty",
    "missing",
    "too long",
    "exceeds",
)
_AUTH_TEXT = (
    "sign-in information is incorrect",
    "invalid session",
    "session has expired",
    "session is invalid",
    "invalid web services authorization",
    "token is not valid",
)


def _classify_xml(details: tuple[ErrorDetail, ...]) -> type[IntacctError]:
    nos = {d.errorno for d in details}
    text = " ".join(
        f"{d.errorno} {d.description} {d.description2}" for d in details
    ).lower()
    if any(t in text for t in ("unknown function", "object definition")):
        return NotSupported  # the gateway lacks this function or object
    if nos & _AUTH_NOS or any(t in text for t in _AUTH_TEXT):
        return AuthError
    if "permission" in text:
        return PermissionDenied
    if "gw-0010" in text or "rate limit" in text:
        return RateLimited
    if "temporarily off-line" in text or any(n.startswith("GW-000") for n in nos):
        return ServiceUnavailable
    if "BL34000061" in nos or "already exists" in text or "duplicate" in text:
        return DuplicateRecord
    if "non-existing" in text or "does not exist" in text or "not found" in text:
        return NotFound
    if "XL03000003" in nos or "readmore failed" in text or "query failed" in text:
        return ValidationError
    if any(t in text for t in _VALIDATION_TEXT):
        return ValidationError
    return BusinessRuleError


def from_xml_errors(
    details: list[ErrorDetail] | tuple[ErrorDetail, ...],
    *,
    status_code: int | None = None,
    idempotency_key: str = "",
) -> IntacctError:
    """The typed error for one XML `<errormessage>` (any of the three levels)."""
    details = tuple(details) or (ErrorDetail("unknown", description2="Unknown error"),)
    cls = _classify_xml(details)
    if status_code == 429:
        cls = RateLimited
    return cls(
        details=details,
        status_code=status_code,
        protocol="xml",
        idempotency_key=idempotency_key,
    )


_REST_BY_STATUS: dict[int, type[IntacctError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    405: NotSupported,
    409: DuplicateRecord,
    422: BusinessRuleError,
    429: RateLimited,
    503: ServiceUnavailable,
}
_REST_BY_CODE: dict[str, type[IntacctError]] = {
    "tokenInvalid": AuthError,
    "forbidden": PermissionDenied,
    "notFound": NotFound,
    "duplicateValue": DuplicateRecord,
    "methodNotAllowed": NotSupported,
    "GW-0010": RateLimited,
}


def _rest_error_body(body: Any) -> dict[str, Any]:
    """The error object of any of the three REST envelopes (WIRE.md B.5)."""
    if not isinstance(body, dict):
        return {}
    for candidate in (
        (body.get("ia::result") or {}).get("ia::error")
        if isinstance(body.get("ia::result"), dict)
        else None,
        body.get("ia::error"),
        body.get("error") if isinstance(body.get("error"), dict) else None,
    ):
        if isinstance(candidate, dict):
            return candidate
    if isinstance(body.get("error"), str):  # RFC 6749 OAuth error
        return {"code": body["error"], "message": body.get("error_description", "")}
    return {}


def from_rest_body(
    status: int,
    body: Any,
    *,
    retry_after: float | None = None,
    idempotency_key: str = "",
    not_supported_on_404: bool = False,
) -> IntacctError:
    """The typed error for a REST error answer."""
    err = _rest_error_body(body)
    code = str(err.get("code", ""))
    message = str(err.get("message", "")) or f"HTTP {status}"
    raw_details = err.get("details")
    details: list[ErrorDetail] = [
        ErrorDetail(code, description=message, description2=message)
    ]
    if isinstance(raw_details, list):
        for d in raw_details:
            if isinstance(d, dict):
                details.append(
                    ErrorDetail(
                        str(d.get("code", "")),
                        description2=str(d.get("message", "")),
                        target=str(d.get("target", "")),
                    )
                )
    cls = _REST_BY_CODE.get(code) or _REST_BY_STATUS.get(status)
    if cls is None:
        cls = ServiceUnavailable if status >= 500 else BusinessRuleError
    if code.startswith("GW-003") or code in ("GW-0031", "GW-0034", "invalid_client"):
        cls = AuthError
    if code in ("invalid_grant", "unauthorized_client"):
        cls = AuthError
    if cls is NotFound and not_supported_on_404:
        cls = NotSupported
    if cls in (BusinessRuleError, ValidationError) and len(details) > 1:
        # The details carry Intacct's own error numbers and texts: classify them
        # exactly as the XML gateway's, so one failure types alike on both.
        cls = _classify_xml(tuple(details[1:]))
        if cls in (AuthError, RateLimited, ServiceUnavailable, NotSupported):
            cls = BusinessRuleError if status == 422 else ValidationError
    kw: dict[str, Any] = {}
    if cls is RateLimited:
        kw["retry_after"] = retry_after
    # Put the specific detail first when there is one: it carries the errorno.
    if len(details) > 1:
        details = [*details[1:], details[0]]
    return cls(
        message,
        details=details,
        status_code=status,
        protocol="rest",
        support_id=str(err.get("supportId", "")),
        idempotency_key=idempotency_key,
        code=code,
        **kw,
    )


def from_response(
    response: httpx.Response,
    *,
    protocol: str,
    idempotency_key: str = "",
    retry_after: float | None = None,
    not_supported_on_404: bool = False,
) -> IntacctError:
    """The one constructor for an error answer from either protocol."""
    status = response.status_code
    if protocol == "xml":
        from sync.intacct.xmlgw import parser  # local: parser imports this module

        try:
            doc = parser.parse_response(response.content)
            details = doc.errors or []
        except (parser.ResponseParseError, ValueError):
            details = []
        if not details:
            details = [ErrorDetail(f"HTTP {status}", description2=_reason(response))]
        error = from_xml_errors(
            details, status_code=status, idempotency_key=idempotency_key
        )
        if status == 429 and isinstance(error, RateLimited):
            error.retry_after = retry_after
        elif status >= 500:
            error = ServiceUnavailable(
                details=error.details, status_code=status, protocol="xml"
            )
        return error
    try:
        body = response.json()
    except ValueError:
        body = {}
    return from_rest_body(
        status,
        body,
        retry_after=retry_after,
        idempotency_key=idempotency_key,
        not_supported_on_404=not_supported_on_404,
    )


def _reason(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()
