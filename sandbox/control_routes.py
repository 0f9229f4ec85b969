"""JSON controls under /_sandbox/ (placeholder until the full set lands)."""

from __future__ import annotations


def handle(sandbox, environ):
    """Dispatch one control request."""
    from sandbox.app import json_response

    if environ.get("PATH_INFO") == "/_sandbox/counts":
        return json_response(200, sandbox.counts())
    return json_response(404, {"error": "unknown control"})
