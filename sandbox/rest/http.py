"""WSGI plumbing: turn an environ into a Request and a Response into bytes."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from sandbox.rest import errors

API_PREFIX = "/ia/api/v1"
MAX_BODY_BYTES = 4 * 1024 * 1024  # generous for 1,000-line documents; configurable

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def api_path(environ: dict[str, Any]) -> str:
    """The path below ``/ia/api/v1`` wherever the app is mounted."""
    full = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    # WSGI hands paths over as latin-1 decoded bytes; undo that for UTF-8 names.
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        full = full.encode("latin-1").decode("utf-8")
    at = full.find(API_PREFIX)
    rel = full[at + len(API_PREFIX) :] if at >= 0 else environ.get("PATH_INFO", "")
    return "/" + rel.strip("/")


@dataclass
class Request:
    """The parts of an HTTP request the REST handlers use."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    environ: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, Any], max_body: int = MAX_BODY_BYTES):
        """Read the request, refusing bodies above ``max_body`` with 413."""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        return cls(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=api_path(environ),
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers,
            body=_read_body(environ, headers, max_body),
            environ=environ,
        )

    def header(self, name: str, default: str = "") -> str:
        """A header value by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    def arg(self, name: str, default: str = "") -> str:
        """The first query-string value for ``name``."""
        return self.query.get(name, [default])[0]

    def form(self) -> dict[str, list[str]]:
        """Form fields from an urlencoded body (OAuth endpoints)."""
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def json(self) -> Any:
        """The JSON body, or a 400/415 ``RestError`` saying what is wrong with it."""
        media = self.header("content-type").split(";")[0].strip().lower()
        if not self.body.strip():
            raise errors.invalid_request(
                f"A {self.method} request requires a payload",
                error_id="REST-1028",
                message_id="IA.REQUEST_REQUIRES_A_PAYLOAD",
                placeholders={"OPERATION": self.method},
            )
        if media != "application/json" and not media.endswith("+json"):
            if "xml" in media:
                raise errors.gateway(415, "GW-0014", "Invalid Content Type")
            raise errors.RestError(
                415,
                "invalidRequest",
                f"Content-Type {media or '(none)'} is not supported; "
                "use application/json",
                error_id="REST-1029",
                message_id="IA.UNSUPPORTED_MEDIA_TYPE",
            )
        try:
            return json.loads(self.body.decode("utf-8"), parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise errors.invalid_request(
                f"Payload is not valid JSON: {_short(exc)}",
                error_id="REST-1026",
                message_id="IA.INVALID_JSON_PAYLOAD",
            ) from None


def _no_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which are not JSON."""
    raise ValueError(f"{name} is not allowed")


def _short(exc: Exception) -> str:
    """An exception message cut to a sensible length."""
    text = str(exc) or type(exc).__name__
    return text[:200]


def _read_body(environ: dict[str, Any], headers: dict[str, str], limit: int) -> bytes:
    """Read at most ``limit`` bytes; more is a 413, never a crash."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(headers.get("content-length") or -1)
    except ValueError:
        raise errors.invalid_request("Content-Length is not a number") from None
    if length > limit:
        raise _too_large(limit)
    data = stream.read(length) if length >= 0 else stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> errors.RestError:
    return errors.RestError(
        413,
        "invalidRequest",
        f"Payload exceeds the maximum size of {limit} bytes",
        error_id="REST-1030",
        message_id="IA.PAYLOAD_TOO_LARGE",
    )


@dataclass
class Response:
    """A status, headers and an already-encoded body."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, headers=()) -> Response:
        """A JSON response; non-ASCII text is sent as UTF-8, not escaped."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return cls(
            status,
            body.encode("utf-8"),
            [("Content-Type", "application/json; charset=utf-8"), *headers],
        )

    @classmethod
    def error(cls, exc: errors.RestError) -> Response:
        """The response for a ``RestError``."""
        return cls.json(exc.status, exc.body(), exc.headers)

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def __call__(self, start_response) -> list[bytes]:
        """Send through WSGI ``start_response``."""
        reason = REASONS.get(self.status, "Unknown")
        headers = [*self.headers, ("Content-Length", str(len(self.body)))]
        start_response(f"{self.status} {reason}", headers)
        return [self.body]
