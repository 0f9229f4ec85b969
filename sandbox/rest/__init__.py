"""Sage Intacct REST API v1 stand-in (``…/ia/api/v1/…``).

``make_rest_app(sandbox)`` returns the WSGI callable the top-level sandbox router
mounts for every path containing ``/ia/api/v1``; it finds its own path below that
prefix, so it works mounted at ``/`` or under ``/sandbox/``.
"""

from __future__ import annotations

from sandbox.rest import errors
from sandbox.rest.http import Response

__all__ = ["make_rest_app", "rate_limited_response", "fault_response"]


def make_rest_app(sandbox, **options):
    """The REST v1 WSGI app over the shared sandbox (store, company, rules)."""
    from sandbox.rest.app import RestApp
    from sandbox.rest.backend import Backend
    from sandbox.rest.objects import CATALOGUE

    backend = Backend(sandbox)
    return RestApp(backend, CATALOGUE, **{**backend.options(), **options})


def rate_limited_response(retry_after: int) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of a REST 429 GW-0010, for the shared limiter."""
    return _wsgi_parts(Response.error(errors.rate_limited(retry_after)))


def fault_response(status: int = 503) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of an injected gateway fault (GW-0001 on 5xx)."""
    exc = errors.gateway(status, "GW-0001", "Unable to process request")
    return _wsgi_parts(Response.error(exc))


def _wsgi_parts(response: Response) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: list = []
    body = b"".join(
        response(lambda status, headers: captured.extend([status, headers]))
    )
    return captured[0], captured[1], body
