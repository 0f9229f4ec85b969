"""Shared sandbox fixtures: a fresh in-memory sandbox, an in-process client, credentials.

Generic on purpose: the XML and REST test modules both use them.
"""

from __future__ import annotations

import httpx
import pytest

from sandbox import Sandbox, demo_credentials, make_app

BASE_URL = "https://sandbox.test"


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh in-memory sandbox with the DEMO company seeded."""
    sb = Sandbox()
    yield sb
    sb.close()


@pytest.fixture
def app(sandbox):
    """The sandbox's WSGI app."""
    return make_app(sandbox)


@pytest.fixture
def client(app) -> httpx.Client:
    """httpx.Client talking to the sandbox in-process (no sockets)."""
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def creds() -> dict:
    """The DEMO company's credentials."""
    return demo_credentials()
