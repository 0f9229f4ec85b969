"""The top-level WSGI app: routing, rate limits, latency and fault injection.

    POST …/ia/xml/xmlgw.phtml   -> sandbox.xml (the XML gateway)
    …/ia/api/v1/…               -> sandbox.rest.make_rest_app(sandbox) (404 if absent)
    …/_sandbox/…                -> JSON controls (sandbox.control_routes)

Works under a prefix: the hub mounts it at /sandbox/ by setting SCRIPT_NAME,
and routing only looks at PATH_INFO. Limits and faults are applied here so that
both APIs get exactly the same behaviour.
"""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass, field

from sandbox import control_routes
from sandbox.controls import Fault, RequestRecord, Sandbox
from sandbox.limits import Decision

XML_PATH = "/ia/xml/xmlgw.phtml"
REST_PREFIX = "/ia/api/v1"

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    524: "A Timeout Occurred",
}


@dataclass
class Response:
    """A finished HTTP response, plus what the request log wants to know."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    company: str | None = None
    functions: list[str] = field(default_factory=list)

    def status_line(self) -> str:
        """'200 OK' style status for start_response."""
        return f"{self.status} {_REASONS.get(self.status, 'Unknown')}"


def json_response(status: int, payload, headers=()) -> Response:
    """A JSON response."""
    body = json.dumps(payload).encode()
    return Response(status, [("Content-Type", "application/json"), *headers], body)


class SandboxApp:
    """WSGI callable wrapping one Sandbox."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self._rest_app = None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        if path.startswith("/_sandbox/") or path == "/_sandbox":
            response = control_routes.handle(self.sandbox, environ)
        elif path.rstrip("/") == XML_PATH:
            if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
                response = method_not_allowed()
            else:
                response = self._api(environ, "xml")
        elif path == REST_PREFIX or path.startswith(REST_PREFIX + "/"):
            response = self._api(environ, "rest")
        else:
            response = json_response(404, {"error": f"no sandbox route for {path}"})
        start_response(response.status_line(), response.headers)
        return [response.body]

    # --- one API request: faults, limits, latency, dispatch --------------------------

    def _api(self, environ, api: str) -> Response:
        from sandbox.xml import gateway  # local: keeps import order simple

        request = None
        if api == "xml":
            body, too_big = _read_body(environ, self.sandbox.config.max_body_bytes)
            if too_big:
                return self._finish(api, environ, gateway.too_large())
            request = gateway.read_request(self.sandbox, body)
            company = request.company
        else:
            company = self._rest_company(environ)
        fault = self.sandbox.take_fault(api)
        if fault is not None and not fault.execute:
            return self._finish(
                api, environ, fault_response(api, fault.status), company
            )
        decision = self.sandbox.limiter.acquire(company) if company else None
        if decision is not None and not decision.allowed:
            return self._finish(api, environ, throttled(api, decision), company)
        try:
            self.sandbox.sleep_latency()
            if api == "xml":
                response = gateway.handle(self.sandbox, environ, request)
            else:
                response = self._call_rest(environ)
        finally:
            if decision is not None:
                self.sandbox.limiter.release(company)
        if decision is not None:
            response.headers.extend(throttle_headers(decision))
        if fault is not None:
            self._finish(
                api, environ, response, company, outcome="committed-then-fault"
            )
            if fault.status is None:
                _drop_connection(environ)
            return fault_response(api, fault.status)
        return self._finish(api, environ, response, company)

    def _finish(
        self, api, environ, response: Response, company=None, outcome=""
    ) -> Response:
        self.sandbox.log_request(
            RequestRecord(
                at=self.sandbox.clock.now(),
                api=api,
                company=response.company or company,
                functions=response.functions,
                status=response.status,
                outcome=outcome,
            )
        )
        return response

    # --- REST plumbing ----------------------------------------------------------------

    def _rest_company(self, environ) -> str | None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth.lower().startswith("bearer "):
            return None
        token = self.sandbox.store.lookup_token(auth[7:].strip(), slide=False)
        return token.company_id if token else None

    def _call_rest(self, environ) -> Response:
        app = self._rest()
        if app is None:
            return json_response(
                404,
                {
                    "ia::error": {
                        "code": "notFound",
                        "message": "REST API not available",
                    }
                },
            )
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, list(headers)

        chunks = app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return Response(int(captured["status"].split()[0]), captured["headers"], body)

    def _rest(self):
        if self._rest_app is None:
            try:
                from sandbox import rest
            except ImportError:
                return None
            factory = getattr(rest, "make_rest_app", None)
            if factory is None:
                return None
            self._rest_app = factory(self.sandbox)
        return self._rest_app


def make_app(sandbox: Sandbox | None = None) -> SandboxApp:
    """The sandbox as a WSGI callable (a fresh in-memory DEMO sandbox by default)."""
    return SandboxApp(sandbox or Sandbox())


# --- helpers shared with the controls -------------------------------------------------


def _read_body(environ, limit: int) -> tuple[bytes, bool]:
    """Read at most `limit` bytes; (body, too_big)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return b"", True
    stream = environ["wsgi.input"]
    # No (or a negative) length: read one byte past the limit, never "all of it".
    body = stream.read(length) if length > 0 else stream.read(limit + 1)
    return body, len(body) > limit


def throttle_headers(decision: Decision) -> list[tuple[str, str]]:
    """X-IA-Throttle-* headers (sent on every API response, like Intacct's gateway)."""
    headers = [
        ("X-IA-Throttle-Limit", str(decision.limit)),
        ("X-IA-Throttle-Limit-Remaining", str(decision.remaining)),
    ]
    if not decision.allowed:
        retry = str(decision.retry_after)
        headers += [
            ("Retry-After", retry),
            ("X-IA-Throttle-Limit-RetryAfter", retry),
            ("X-IA-Throttle-Limit-Retry-After", retry),
        ]
    return headers


def throttled(api: str, decision: Decision) -> Response:
    """429 GW-0010 in the API's own shape. [S: WIRE.md A.3, B.5]"""
    headers = throttle_headers(decision)
    if api == "rest":
        shaped = _rest_shape("rate_limited_response", decision.retry_after)
        if shaped is not None:
            return _merge_headers(shaped, headers)
        payload = {
            "ia::error": {"code": "GW-0010", "message": "API rate limit exceeded"},
            "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1},
        }
        return json_response(429, payload, headers)
    from sandbox.xml import render

    body = render.gateway_error("GW-0010", "API rate limit exceeded")
    return Response(429, [("Content-Type", render.CONTENT_TYPE), *headers], body)


def fault_response(api: str, status: int | None) -> Response:
    """What an injected 5xx looks like on the wire."""
    status = status or 500
    if status == 524:
        # Cloudflare's own page: the origin kept working but the CDN gave up.
        body = b"<html><body><h1>524: A timeout occurred</h1></body></html>"
        return Response(524, [("Content-Type", "text/html; charset=UTF-8")], body)
    if api == "rest":
        shaped = _rest_shape("fault_response", status)
        if shaped is not None:
            return shaped
        error = {"code": "GW-0001", "message": "Unable to process request"}
        return json_response(status, {"ia::error": error})
    from sandbox.xml import render

    # FY-XML maps this text to its InternalServerError. [S: WIRE.md A.3]
    message = (
        "The Service is Temporarily Off-line" if status == 503 else "Internal Error"
    )
    body = render.gateway_error("GW-0001", message)
    return Response(status, [("Content-Type", render.CONTENT_TYPE)], body)


def _rest_shape(name: str, argument) -> Response | None:
    """Let sandbox.rest render REST-shaped gateway errors when it offers to."""
    try:
        from sandbox import rest

        status_line, headers, body = getattr(rest, name)(argument)
    except (ImportError, AttributeError):
        return None
    return Response(int(status_line.split()[0]), list(headers), body)


def _merge_headers(response: Response, extra: list[tuple[str, str]]) -> Response:
    present = {name.lower() for name, _ in response.headers}
    response.headers += [(n, v) for n, v in extra if n.lower() not in present]
    return response


def method_not_allowed() -> Response:
    """The gateway accepts POST only (GET blocked since 2023-01-15). [S: WIRE.md A.1]"""
    from sandbox.xml import render

    body = render.gateway_error(
        "GW-0011", "Invalid Request: the gateway accepts POST only"
    )
    headers = [("Content-Type", render.CONTENT_TYPE), ("Allow", "POST")]
    return Response(405, headers, body)


def _drop_connection(environ) -> None:
    """Cut the client's TCP connection after the write committed; abort the response."""
    sock = environ.get("sandbox.socket") or environ.get("gunicorn.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("sandbox fault: connection dropped after commit")


__all__ = ["Fault", "Response", "Sandbox", "SandboxApp", "make_app"]
