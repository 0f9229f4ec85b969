"""Client tests run against the bundled sandbox, in-process (httpx.WSGITransport).

No database: these tests never touch Django models.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sync.intacct import DEFAULT_ROUTES, Credentials, IntacctClient

sandbox_pkg = pytest.importorskip("sandbox")

BASE_URL = "http://sandbox.test"


def only(protocol: str) -> dict[str, str]:
    """A routing table sending every action over one protocol."""
    return {action: protocol for action in DEFAULT_ROUTES}


@pytest.fixture
def sandbox():
    sb = sandbox_pkg.Sandbox()
    yield sb
    sb.close()


@pytest.fixture
def app(sandbox):
    return sandbox_pkg.make_app(sandbox)


@pytest.fixture
def credentials() -> Credentials:
    return Credentials.from_dict(sandbox_pkg.demo_credentials(), base_url=BASE_URL)


class Sleeps(list):
    """Records requested sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def make_client(app, credentials):
    made = []

    def make(protocol: str | None = None, *, creds=None, **kw) -> IntacctClient:
        if protocol and "routes" not in kw:
            kw["routes"] = only(protocol)
        kw.setdefault("sleep", Sleeps())
        client = IntacctClient(
            creds or credentials, http_transport=httpx.WSGITransport(app=app), **kw
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture(params=["rest", "xml"])
def protocol(request) -> str:
    return request.param


@pytest.fixture
def client(make_client, protocol) -> IntacctClient:
    return make_client(protocol)


LOOPBACK_ROWS = 10_000


@pytest.fixture(scope="session")
def loopback_url():
    """A sandbox server in a child process over loopback, with 10,000 customers."""
    server = Path(__file__).with_name("sandbox_server.py")
    proc = subprocess.Popen(
        [sys.executable, str(server), "--seed-customers", str(LOOPBACK_ROWS)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    line = proc.stdout.readline().strip()  # "listening <url>" once seeded
    if not line.startswith("listening "):
        proc.kill()
        pytest.fail(f"sandbox server did not start: {line!r}")
    yield line.split()[1]
    proc.terminate()
    proc.wait(timeout=10)
