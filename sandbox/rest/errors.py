"""REST v1 error answers, in the two shapes Intacct sends (WIRE.md B.5).

Application errors use the shape of the OpenAPI ``error-response`` schema, which is
also what production clients parse (``body["ia::result"]["ia::error"]``):

    {"ia::result": {"ia::error": {code, message, errorId, additionalInfo, supportId,
                                  details?}},
     "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1}}

Gateway errors (``GW-nnnn``: rate limit, bad Authorization header, malformed OAuth
token requests) come from the API gateway in front of the application, so they
use the gateway's flat shape ``{"ia::error": {code, message, details: {requestId}}}``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

ERROR_META = {"totalCount": 1, "totalSuccess": 0, "totalError": 1}


def support_id() -> str:
    """A fresh opaque support id shaped like Intacct's (``…%7E…``)."""
    return f"{secrets.token_urlsafe(5)}%7E{secrets.token_urlsafe(20)}"


def request_id() -> str:
    """A fresh gateway request id shaped like ``AC47C2BE:D9EE_63EBC07F.59``."""
    h = secrets.token_hex(10).upper()
    return f"{h[:8]}:{h[8:12]}_{h[12:20]}.{int(h[:2], 16) % 100}"


@dataclass
class RestError(Exception):
    """An error answer; raise it anywhere below the router."""

    status: int
    code: str
    message: str
    error_id: str = ""
    message_id: str = ""
    placeholders: dict[str, Any] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)
    gateway: bool = False
    headers: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def body(self) -> dict[str, Any]:
        """The JSON body for this error."""
        if self.gateway:
            return {
                "ia::error": {
                    "code": self.code,
                    "message": self.message,
                    "details": {"requestId": request_id()},
                }
            }
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.error_id:
            error["errorId"] = self.error_id
        error["additionalInfo"] = {
            "messageId": self.message_id or "IA.REQUEST_FAILED",
            "placeholders": self.placeholders,
            "propertySet": {},
        }
        error["supportId"] = support_id()
        if self.details:
            error["details"] = self.details
        return {"ia::result": {"ia::error": error}, "ia::meta": dict(ERROR_META)}


def detail(
    code: str,
    message: str,
    *,
    target: str = "",
    error_id: str = "",
    message_id: str = "",
) -> dict[str, Any]:
    """One ``details[]`` item of an application error."""
    item: dict[str, Any] = {"code": code, "message": message}
    if error_id:
        item["errorId"] = error_id
    if target:
        item["target"] = target
    item["additionalInfo"] = {
        "messageId": message_id or "IA.BUSINESS_RULE",
        "placeholders": {},
        "propertySet": {},
    }
    return item


def invalid_request(
    message: str, *, error_id: str = "REST-1064", **kw: Any
) -> RestError:
    """400 for a request the client can fix (bad JSON, unknown field, …)."""
    return RestError(400, "invalidRequest", message, error_id=error_id, **kw)


def not_found(what: str) -> RestError:
    """404 for an unknown path, object or key."""
    return RestError(
        404,
        "notFound",
        f"Requested resource {what} was not found",
        error_id="REST-1002",
        message_id="IA.REQUESTED_RESOURCE_NOT_FOUND",
        placeholders={"RESOURCE": what},
    )


def method_not_allowed(method: str, path: str) -> RestError:
    """405 for a method the resource does not support."""
    return RestError(
        405,
        "methodNotAllowed",
        f"Method {method} is not supported for {path}",
        error_id="REST-1005",
        message_id="IA.METHOD_NOT_SUPPORTED",
        placeholders={"METHOD": method},
    )


def token_invalid() -> RestError:
    """401 for an unknown, revoked or expired access token (REST-2102)."""
    return RestError(
        401,
        "tokenInvalid",
        "Token is not valid",
        error_id="REST-2102",
        message_id="IA.TOKEN_IS_NOT_VALID",
    )


def gateway(status: int, code: str, message: str, **kw: Any) -> RestError:
    """A ``GW-nnnn`` error from the gateway in front of the application."""
    return RestError(status, code, message, gateway=True, **kw)
