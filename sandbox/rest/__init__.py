"""Sage Intacct REST API v1 stand-in (``…/ia/api/v1/…``).

``make_rest_app(sandbox)`` returns the WSGI callable the top-level sandbox router
mounts for every path containing ``/ia/api/v1``; it finds its own path below that
prefix, so it works mounted at ``/`` or under ``/sandbox/``.
"""

from __future__ import annotations

__all__ = ["make_rest_app"]


def make_rest_app(sandbox, **options):
    """The REST v1 WSGI app over the shared sandbox (store, companies, rules)."""
    from sandbox.rest.app import RestApp
    from sandbox.rest.backend import Backend
    from sandbox.rest.objects import CATALOGUE

    return RestApp(Backend(sandbox), CATALOGUE, config=sandbox.config, **options)
