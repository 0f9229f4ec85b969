"""`python -m sandbox serve` runs a threaded server that real HTTP clients can use."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from lxml import etree

from .conftest import xml_request

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server_process(tmp_path):
    """The CLI server on an ephemeral port with a file database; yields its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--db",
            str(tmp_path / "served.sqlite3"),
            "--no-limits",
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline()
        match = re.search(r"http://[\d.]+:(\d+)", line)
        assert match, f"server did not start: {line!r}"
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_served_gateway_handles_concurrent_clients(server_process, creds):
    def create(i: int) -> str:
        fn = (
            f"<create><CUSTOMER><CUSTOMERID>SRV-{i}</CUSTOMERID>"
            "<NAME>n</NAME></CUSTOMER></create>"
        )
        response = httpx.post(
            f"{server_process}/ia/xml/xmlgw.phtml",
            content=xml_request(creds, fn),
            timeout=10,
        )
        return etree.fromstring(response.content).findtext("operation/result/status")

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(create, range(40)))
    assert statuses == ["success"] * 40

    counts = httpx.get(f"{server_process}/_sandbox/counts", timeout=10).json()
    assert counts[creds["company_id"]]["CUSTOMER"] == 41
    assert counts["_requests"]["xml"] == 40
    endpoint = etree.fromstring(
        httpx.post(
            f"{server_process}/ia/xml/xmlgw.phtml",
            content=xml_request(creds, "<getAPISession/>"),
            timeout=10,
        ).content
    ).findtext(".//endpoint")
    assert endpoint == f"{server_process}/ia/xml/xmlgw.phtml"


def test_unknown_paths_are_404(server_process):
    assert httpx.get(f"{server_process}/nothing", timeout=10).status_code == 404
