"""Shared helpers of the bad-input campaign: an in-process sandbox and XML requests."""

from __future__ import annotations

import httpx
import pytest

from sandbox import Sandbox, demo_credentials, make_app
from tests.sandbox.conftest import XML_PATH, xml_request

BASE_URL = "https://sandbox.test"

__all__ = ["BASE_URL", "XML_PATH", "post_raw", "xml_request"]


@pytest.fixture
def sandbox():
    sb = Sandbox()
    yield sb
    sb.close()


@pytest.fixture
def http(sandbox):
    """An httpx client talking to the sandbox in-process (WSGI, no sockets)."""
    transport = httpx.WSGITransport(app=make_app(sandbox))
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def creds():
    return demo_credentials()


def post_raw(http, body: bytes, path: str = XML_PATH) -> httpx.Response:
    return http.post(path, content=body, headers={"Content-Type": "application/xml"})


def rows(sandbox) -> dict:
    """Rows per company and object: what a hostile request must not change."""
    return sandbox.store.counts()


# The machine endpoints' fixtures (signed webhook deliveries, the ingest API).
from tests.commerce.conftest import (  # noqa: E402, F401
    deliver,
    ingest,
    ingest_source,
    q_sync,
    shop,
)
