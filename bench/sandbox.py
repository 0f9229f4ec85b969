"""Throughput of the Intacct sandbox itself: creates per second at zero latency.

    python bench/sandbox.py                   # XML creates
    python bench/sandbox.py --api rest        # REST creates (needs sandbox/rest)
    python bench/sandbox.py --requests 3000 --clients 50

Prints one line per scenario: in-process WSGI (no sockets), one client over
loopback, and N concurrent clients over loopback against `python -m sandbox
serve` pinned to one CPU core. Not part of the test suite; never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from sandbox import Sandbox, demo_credentials, make_app  # noqa: E402

sys.path.insert(1, str(ROOT / "bench"))
from common import figure  # noqa: E402

CREDS = demo_credentials()
XML_PATH = "/ia/xml/xmlgw.phtml"
REST_CUSTOMERS = "/ia/api/v1/objects/accounts-receivable/customer"


def xml_create_body(customer_id: str) -> bytes:
    """A one-function XML create request, logged in with the DEMO user."""
    request = etree.Element("request")
    control = etree.SubElement(request, "control")
    for name, value in (
        ("senderid", CREDS["sender_id"]),
        ("password", CREDS["sender_password"]),
        ("controlid", customer_id),
        ("uniqueid", "false"),
        ("dtdversion", "3.0"),
        ("includewhitespace", "false"),
    ):
        etree.SubElement(control, name).text = value
    operation = etree.SubElement(request, "operation")
    login = etree.SubElement(etree.SubElement(operation, "authentication"), "login")
    for name, key in (("userid", "user_id"), ("companyid", "company_id")):
        etree.SubElement(login, name).text = CREDS[key]
    etree.SubElement(login, "password").text = CREDS["user_password"]
    content = etree.SubElement(operation, "content")
    function = etree.SubElement(content, "function", controlid=str(uuid.uuid4()))
    customer = etree.SubElement(etree.SubElement(function, "create"), "CUSTOMER")
    etree.SubElement(customer, "CUSTOMERID").text = customer_id
    etree.SubElement(customer, "NAME").text = f"Bench {customer_id}"
    return etree.tostring(request, xml_declaration=True, encoding="UTF-8")


class XmlCreates:
    """Creates one customer per XML request."""

    name = "xml"

    def prepare(self, client: httpx.Client) -> None:
        """Nothing to do: every XML request logs in."""

    def create(self, client: httpx.Client, customer_id: str) -> bool:
        response = client.post(XML_PATH, content=xml_create_body(customer_id))
        return (
            response.status_code == 200 and b"<status>failure" not in response.content
        )


class RestCreates:
    """Creates one customer per REST POST, after one client-credentials token."""

    name = "rest"
    token = ""

    def prepare(self, client: httpx.Client) -> None:
        response = client.post(
            "/ia/api/v1/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CREDS["client_id"],
                "client_secret": CREDS["client_secret"],
                "username": f"{CREDS['user_id']}@{CREDS['company_id']}",
            },
        )
        response.raise_for_status()
        self.token = response.json()["access_token"]

    def create(self, client: httpx.Client, customer_id: str) -> bool:
        response = client.post(
            REST_CUSTOMERS,
            json={"id": customer_id, "name": f"Bench {customer_id}"},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        return response.status_code == 201


def run(api, make_client, requests: int, clients: int) -> tuple[float, int]:
    """(creates per second, failures) for `requests` creates spread over `clients`."""
    prefix = uuid.uuid4().hex[:6]
    with make_client() as setup:
        api.prepare(setup)

    def worker(slot: int) -> int:
        failures = 0
        with make_client() as client:
            for i in range(slot, requests, clients):
                failures += not api.create(client, f"B{prefix}-{i}")
        return failures

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        failures = sum(pool.map(worker, range(clients)))
    return requests / (time.perf_counter() - started), failures


def start_server() -> tuple[subprocess.Popen, str]:
    """`python -m sandbox serve` on a free port, pinned to CPU 0 where supported."""

    def pin():
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {0})

    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--no-limits"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=pin,  # noqa: PLW1509 - only sets CPU affinity
    )
    port = re.search(r":(\d+)", process.stderr.readline()).group(1)
    return process, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=("xml", "rest"), default="xml")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    api = XmlCreates() if args.api == "xml" else RestCreates()

    sandbox = Sandbox()
    sandbox.set_rate_limit(per_minute=None, concurrency=None)
    transport = httpx.WSGITransport(app=make_app(sandbox))

    def in_process():
        return httpx.Client(transport=transport, base_url="http://bench")

    report(api, "in-process WSGI, 1 client", *run(api, in_process, args.requests, 1))

    process, base_url = start_server()
    try:

        def loopback():
            return httpx.Client(base_url=base_url, timeout=30)

        report(api, "loopback server, 1 client", *run(api, loopback, args.requests, 1))
        label = f"loopback server, {args.clients} clients"
        report(api, label, *run(api, loopback, args.requests, args.clients))
    finally:
        process.terminate()
        process.wait(timeout=10)


def report(api, scenario: str, rate: float, failures: int) -> None:
    line = {"api": api.name, "scenario": scenario, "creates_per_s": round(rate, 1)}
    print(json.dumps({**line, "failures": failures}), flush=True)
    # No throughput target is written down for the sandbox (sandbox/README.md quotes
    # reference figures only). Failed creates are shown so that a fast failure is
    # never read as throughput.
    figure(
        f"{api.name} creates/s, {scenario}",
        line["creates_per_s"],
        "creates/s",
        note="no target stated",
    )
    figure(f"{api.name} failed creates, {scenario}", failures, "creates")


if __name__ == "__main__":
    main()
