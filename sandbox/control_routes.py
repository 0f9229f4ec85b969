"""JSON controls under /_sandbox/: the HTTP face of the Sandbox control API.

Every route maps onto one `Sandbox` method (see controls.py and README.md).
They are for tests and local development; the hub only mounts the sandbox in
its embedded (development) mode.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from sandbox import rules
from sandbox.company import DEMO_COMPANY, demo_credentials

_MAX_BODY = 64 * 1024


def handle(sandbox, environ):
    """Dispatch one control request to a JSON response."""
    from sandbox.app import json_response

    name = environ.get("PATH_INFO", "")[len("/_sandbox/") :].strip("/")
    method = environ.get("REQUEST_METHOD", "GET").upper()
    route = _ROUTES.get((method, name))
    if route is None:
        known = {n for _, n in _ROUTES}
        status = 405 if name in known else 404
        return json_response(status, {"error": f"no control {method} /_sandbox/{name}"})
    try:
        body = _json_body(environ) if method == "POST" else {}
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        return json_response(200, route(sandbox, body, query))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return json_response(400, {"error": f"bad control request: {exc!r}"})


def _json_body(environ) -> dict:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length < 0:  # read(-1) would read to the end, unbounded
        raise ValueError("Content-Length is negative")
    if length > _MAX_BODY:
        raise ValueError("control body too large")
    raw = environ["wsgi.input"].read(length) if length else b""
    data = json.loads(raw or b"{}")
    if not isinstance(data, dict):
        raise ValueError("control body must be a JSON object")
    return data


def _counts(sandbox, body, query):
    return sandbox.counts()


def _credentials(sandbox, body, query):
    return demo_credentials()


def _log(sandbox, body, query):
    limit = int(query.get("limit", 200))
    records = list(sandbox.request_log)[-limit:]
    return [record.__dict__ for record in records]


def _reset(sandbox, body, query):
    sandbox.reset()
    return {"ok": True}


def _latency(sandbox, body, query):
    if "min_ms" in body or "max_ms" in body:
        sandbox.set_latency(min_ms=body.get("min_ms"), max_ms=body.get("max_ms"))
    else:
        sandbox.set_latency(body.get("ms", 0))
    return {"latency_seconds": list(sandbox.config.latency)}


def _fault(sandbox, body, query):
    sandbox.inject_fault(
        int(body["status"]),
        int(body.get("count", 1)),
        api=body.get("api"),
        execute=body.get("execute"),
    )
    return {"ok": True}


def _drop(sandbox, body, query):
    sandbox.drop_after_commit(int(body.get("count", 1)), api=body.get("api"))
    return {"ok": True}


def _clear_faults(sandbox, body, query):
    sandbox.clear_faults()
    return {"ok": True}


def _expire(sandbox, body, query):
    return {"expired": sandbox.expire_sessions(body.get("company_id"))}


def _permission(sandbox, body, query):
    change = (
        sandbox.grant_permission if body.get("allow") else sandbox.revoke_permission
    )
    change(
        body["user_id"],
        body["object"],
        body.get("operation"),
        company_id=body.get("company_id", DEMO_COMPANY),
    )
    return {"ok": True}


def _closed_through(sandbox, body, query):
    sandbox.set_closed_through(body.get("date"), body.get("company_id", DEMO_COMPANY))
    return {"ok": True}


def _rate_limit(sandbox, body, query):
    changes = {k: body[k] for k in ("per_minute", "concurrency") if k in body}
    sandbox.set_rate_limit(tier=body.get("tier"), **changes)
    return {
        "per_minute": sandbox.limiter.per_minute,
        "concurrency": sandbox.limiter.concurrency,
    }


def _clock(sandbox, body, query):
    # {"offset": s} sets the skew against the wall clock; {"advance": s} jumps on.
    if "offset" in body:
        sandbox.set_clock_offset(float(body["offset"]))
    sandbox.clock.advance(float(body.get("advance", 0)))
    return {"now": sandbox.clock.now(), "offset": sandbox.clock.offset}


def _payment(sandbox, body, query):
    ctx = sandbox.context(body.get("company_id", DEMO_COMPANY))
    row = rules.apply_payment(ctx, body["invoice"], body["amount"], body.get("date"))
    return {"RECORDNO": row["RECORDNO"]}


_ROUTES = {
    ("GET", "counts"): _counts,
    ("GET", "credentials"): _credentials,
    ("GET", "log"): _log,
    ("POST", "reset"): _reset,
    ("POST", "latency"): _latency,
    ("POST", "faults"): _fault,
    ("DELETE", "faults"): _clear_faults,
    ("POST", "drop"): _drop,
    ("POST", "expire-sessions"): _expire,
    ("POST", "permissions"): _permission,
    ("POST", "closed-through"): _closed_through,
    ("POST", "rate-limit"): _rate_limit,
    ("POST", "clock"): _clock,
    ("POST", "payments"): _payment,
}
