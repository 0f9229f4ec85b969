"""Throughput of the hub's Intacct client against the sandbox, versus the SDK.

    python bench/client.py --records 1000 --latency-ms 50 --concurrency 2

Each contender runs in its own process against its own fresh sandbox server
(`python -m sandbox serve`) and prints one JSON line:
contender, records_per_s, requests_per_record, transactions_per_record,
duplicates, peak_rss_mb. A "record" is one customer plus one AR invoice.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import figure  # noqa: E402

GL_ACCOUNT = os.environ.get("BENCH_GL_ACCOUNT", "4000")
DAY = dt.date(2026, 1, 15)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def sandbox_server(latency_ms: int):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=0.2),
            ):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("sandbox server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def server_counts(base_url: str) -> dict:
    """The sandbox's own counters: requests per API, billed transactions, peak
    concurrency. Counted at the server, so no contender can under-report."""
    import httpx

    return httpx.get(f"{base_url}/_sandbox/counts", timeout=30).json()


def measured(base_url: str, n: int) -> dict:
    counts = server_counts(base_url)
    requests = sum(counts["_requests"].values())
    billed = sum(counts["_billed"].values())
    return {
        "requests_per_record": round(requests / n, 4),
        "transactions_per_record": round(billed / n, 4),
        "server_peak_concurrency": max(counts["_peak_concurrency"].values(), default=0),
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def key(kind: str, i: int) -> str:
    return f"{kind[0]}{i:031x}"[-32:]


# -- the hub client ---------------------------------------------------------------


def run_hub(base_url: str, n: int, concurrency: int, batch_size: int | None) -> dict:
    from sandbox.company import demo_credentials
    from sync.intacct import (
        ARInvoice,
        Credentials,
        Customer,
        IntacctClient,
        InvoiceLine,
        SemaphoreLimiter,
        TokenBucket,
        Write,
    )

    creds = Credentials.from_dict(demo_credentials(), base_url=base_url)
    client = IntacctClient(
        creds,
        concurrency=SemaphoreLimiter(concurrency),
        rate_limiter=TokenBucket(rate=0),
        **({"batch_size": batch_size} if batch_size else {}),
    )
    size = client.batch_size

    def chunk(start: int) -> list:
        ids = range(start, min(start + size, n))
        customers = [
            Write(
                "upsert_customer",
                Customer(f"BC{i:06d}", f"Bench customer {i}"),
                key("customer", i),
                update=False,
            )
            for i in ids
        ]
        invoices = [
            Write(
                "post_ar_invoice",
                ARInvoice(
                    customer_id=f"BC{i:06d}",
                    date=DAY,
                    invoice_number=f"BI{i:06d}",
                    lines=(InvoiceLine(GL_ACCOUNT, Decimal("19.99")),),
                ),
                key("invoice", i),
            )
            for i in ids
        ]
        out = client.post_many(customers) + client.post_many(invoices)
        return [o for o in out if isinstance(o, Exception)]

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        failures = [f for fs in pool.map(chunk, range(0, n, size)) for f in fs]
    elapsed = time.perf_counter() - started
    if failures:
        print(
            f"hub: {len(failures)} failed writes, first: {failures[0]!r}",
            file=sys.stderr,
        )
    server = measured(base_url, n)
    return {
        "contender": "hub-client",
        "records_per_s": round(n / elapsed, 2),
        **server,
        "duplicates": duplicates(base_url, n),
        "peak_rss_mb": peak_rss_mb(),
        "failed": len(failures),
        "client_requests_per_record": round(client.requests_sent / n, 4),
        "client_metered_transactions_per_record": round(client.transactions / n, 4),
    }


# -- the published SDK, one request per write -----------------------------------------


def run_sdk(base_url: str, n: int) -> dict:
    import requests
    from sageintacctsdk import SageIntacctSDK
    from sageintacctsdk.apis import ApiBase, api_base

    from sandbox.company import demo_credentials

    url = f"{base_url}/ia/xml/xmlgw.phtml"
    counter = {"requests": 0}
    real_post = requests.post

    def counting_post(*args, **kwargs):
        counter["requests"] += 1
        return real_post(*args, **kwargs)

    api_base.requests.post = counting_post  # count what the SDK sends
    c = demo_credentials()
    # WIRE.md C: the endpoint is hard-coded; log in through a re-pointed ApiBase,
    # then hand the session id to the SDK and re-point every API object.
    login = ApiBase()
    login._ApiBase__api_url = url
    login.set_sender_id(c["sender_id"])
    login.set_sender_password(c["sender_password"])
    session_id = login.get_session_id(
        c["user_id"], c["company_id"], c["user_password"], c.get("entity_id")
    )
    sdk = SageIntacctSDK(
        sender_id=c["sender_id"],
        sender_password=c["sender_password"],
        user_id=c["user_id"],
        company_id=c["company_id"],
        user_password=c["user_password"],
        session_id=session_id,
    )
    for value in vars(sdk).values():
        if isinstance(value, ApiBase):
            value._ApiBase__api_url = url
    started = time.perf_counter()
    failed = 0
    for i in range(n):
        try:
            sdk.customers.post(
                {"CUSTOMERID": f"BC{i:06d}", "NAME": f"Bench customer {i}"}
            )
            sdk.ar_invoices.post(
                {
                    "customerid": f"BC{i:06d}",
                    "datecreated": {"year": "2026", "month": "01", "day": "15"},
                    "datedue": {"year": "2026", "month": "01", "day": "15"},
                    "invoiceno": f"BI{i:06d}",
                    "invoiceitems": {
                        "lineitem": [{"glaccountno": GL_ACCOUNT, "amount": "19.99"}]
                    },
                }
            )
        except Exception as exc:  # count and go on, like a naive loop would
            failed += 1
            if failed == 1:
                print(f"sdk: first failure {exc!r}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    server = measured(base_url, n)
    return {
        "contender": "sageintacctsdk-loop",
        "records_per_s": round(n / elapsed, 2),
        **server,
        "duplicates": duplicates(base_url, n),
        "peak_rss_mb": peak_rss_mb(),
        "failed": failed,
        "client_requests_per_record": round(counter["requests"] / n, 4),
    }


def duplicates(base_url: str, n: int) -> int:
    """Extra invoices or customers beyond one per reference, counted in Intacct."""
    from collections import Counter

    from sandbox.company import demo_credentials
    from sync.intacct import Credentials, IntacctClient

    creds = Credentials.from_dict(demo_credentials(), base_url=base_url)
    with IntacctClient(creds) as reader:
        invoices = Counter(
            row.get("RECORDID")
            for row in reader.xml.read_by_query(
                "ARINVOICE", "", fields="RECORDNO,RECORDID"
            )
        )
        customers = Counter(
            row.get("CUSTOMERID")
            for row in reader.xml.read_by_query(
                "CUSTOMER", "", fields="RECORDNO,CUSTOMERID"
            )
        )
    ours = {f"BI{i:06d}" for i in range(n)} | {f"BC{i:06d}" for i in range(n)}
    return sum(
        count - 1 for ref, count in (invoices + customers).items() if ref in ours
    )


def report(hub: dict, sdk: dict) -> None:
    """Figure lines with the targets bench/README.md states for this benchmark."""
    readme = "bench/README.md"
    speedup = round(hub["records_per_s"] / sdk["records_per_s"], 1)
    figure("hub client: records/s", hub["records_per_s"], "records/s")
    figure("sageintacctsdk loop: records/s", sdk["records_per_s"], "records/s")
    figure("hub client vs SDK loop: speed-up", speedup, "x", 20, ">=", readme)
    figure(
        "hub client: requests per record",
        hub["requests_per_record"],
        "requests",
        0.1,
        "<=",
        readme,
    )
    figure(
        "hub client: billed transactions per record",
        hub["transactions_per_record"],
        "transactions",
        2.05,
        "<=",
        readme,
    )
    for name, line in (("hub client", hub), ("sageintacctsdk loop", sdk)):
        figure(
            f"{name}: duplicates",
            line["duplicates"],
            "records",
            0,
            "==",
            "DESIGN.md: nothing is duplicated",
        )
        figure(f"{name}: peak RSS", line["peak_rss_mb"], "MB", note="no target stated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="functions per XML request (default: the client's)",
    )
    parser.add_argument("--contender", choices=["hub", "sdk", "all"], default="all")
    parser.add_argument(
        "--sdk-records",
        type=int,
        default=None,
        help="records for the SDK loop (default: same as --records)",
    )
    args = parser.parse_args()
    if args.contender == "all":
        lines = {}
        for name in ("hub", "sdk"):
            cmd = [
                sys.executable,
                __file__,
                "--contender",
                name,
                "--records",
                str(args.records),
                "--latency-ms",
                str(args.latency_ms),
                "--concurrency",
                str(args.concurrency),
            ]
            if args.batch_size:
                cmd += ["--batch-size", str(args.batch_size)]
            if args.sdk_records:
                cmd += ["--sdk-records", str(args.sdk_records)]
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
            print(out.stdout, end="", flush=True)
            lines[name] = json.loads(out.stdout.strip().splitlines()[-1])
        report(lines["hub"], lines["sdk"])
        return
    with sandbox_server(args.latency_ms) as base_url:
        if args.contender == "hub":
            line = run_hub(base_url, args.records, args.concurrency, args.batch_size)
            line["batch_size"] = args.batch_size or "default"
        else:
            line = run_sdk(base_url, args.sdk_records or args.records)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
