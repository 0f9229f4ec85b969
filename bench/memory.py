"""Memory of a 100,000-record run: peak RSS of the hub's process on two paths.

    .venv/bin/python bench/memory.py [--records 100000]

Each scenario runs in a fresh process of its own, so its peak RSS (ru_maxrss) is
that path's alone:

- `ar-status`: `IntacctClient.read_ar_status()` streams N AR invoices out of a
  sandbox server (its own process, seeded directly in its store) page by page, the
  way the AR status sync reads Intacct. Peak RSS after the first 1,000 rows and after
  all N: a streaming reader holds one page, so the two should be about equal.
- `ingest`: N ingest-API orders parsed and validated (`ingest_parse`) and stored
  (`ingest_store`) in batches of the maximum batch size, in process, on a
  throwaway PostgreSQL database (SQLite if PostgreSQL is not reachable). Also
  prints the elapsed time: TEST-CATALOGUE.md E2 ("Ingest 100k orders") asks for
  < 60 s on CI hardware.

No memory target is written down anywhere (issue 9 asks for the figure only), so
the RSS figures carry none. Prints one JSON figure line each (bench/common.py);
never asserts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intacct_hub.settings")

from common import bench_database, figure, peak_rss_mb, rss_mb  # noqa: E402

NO_TARGET = "no memory target stated (issue 9 asks for the figure)"


# -- the sandbox child: N invoices, served until killed ----------------------------


def serve_invoices(n: int) -> None:
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from sandbox import DEMO_COMPANY, Sandbox, make_app

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    sb = Sandbox()
    with sb.store.transaction():
        for i in range(n):
            sb.store.insert(
                DEMO_COMPANY,
                "ARINVOICE",
                {
                    "RECORDID": f"INV-{i:06d}",
                    "CUSTOMERID": f"C{i % 500:04d}",
                    "STATE": "Posted" if i % 3 else "Paid",
                    "TRX_TOTALENTERED": "119.90",
                    "TRX_TOTALDUE": "0" if i % 3 == 0 else "119.90",
                    "WHENDUE": "01/31/2026",
                },
            )
    server = make_server("127.0.0.1", 0, make_app(sb), handler_class=Quiet)
    print(f"listening http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


def ar_status(n: int) -> None:
    import httpx

    from sandbox import demo_credentials
    from sync.intacct import Credentials, IntacctClient

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-invoices", str(n)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = child.stdout.readline().split()[-1]
        creds = Credentials.from_dict(demo_credentials(), base_url=url)
        with IntacctClient(creds, timeout=httpx.Timeout(120.0)) as client:
            client.find("CUSTOMER", ["warm-up"])  # session and token first
            baseline = rss_mb()
            started, count, after_1k = time.perf_counter(), 0, None
            for _ in client.read_ar_status():
                count += 1
                if count == 1000:
                    after_1k = peak_rss_mb()
            seconds = time.perf_counter() - started
    finally:
        child.terminate()
        child.wait(timeout=10)
    note = f"{count} invoices streamed in {seconds:.1f} s; RSS before: {baseline} MB"
    figure(
        "read_ar_status: invoices read",
        count,
        "invoices",
        n,
        "==",
        "completeness check",
    )
    figure("read_ar_status: peak RSS after 1,000 rows", after_1k, "MB", note=NO_TARGET)
    figure(
        f"read_ar_status: peak RSS after {count:,} rows", peak_rss_mb(), "MB", note=note
    )


# -- ingest: parse, validate and store N orders in process --------------------------


def ingest(n: int) -> None:
    with bench_database():
        ingest_into_database(n)


def ingest_into_database(n: int) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection
    from ingest import order  # bench/ingest.py's order generator

    from commerce.ingest import ingest_parse, ingest_store, max_batch
    from commerce.models import SourceRecord
    from commerce.services import source_create

    source, _token = source_create(kind="ingest", slug=f"mem-{uuid.uuid4().hex[:8]}")
    baseline, batch = rss_mb(), max_batch()
    started = time.perf_counter()
    for start in range(0, n, batch):
        body = {
            "records": [order(f"m{i}", i) for i in range(start, min(n, start + batch))]
        }
        ingest_store(source=source, records=ingest_parse(body))
    seconds = time.perf_counter() - started
    stored = SourceRecord.objects.filter(source=source).count()
    where = f"{connection.vendor}, batches of {batch}"
    figure(
        "ingest: orders stored",
        stored,
        "orders",
        n,
        "==",
        "completeness check",
        note=where,
    )
    figure(
        f"ingest: {n:,} orders, elapsed",
        round(seconds, 1),
        "s",
        60,
        "<",
        "TEST-CATALOGUE.md E2",
        note=f"{n / seconds:.0f} orders/s; {where}",
    )
    figure(
        f"ingest: peak RSS over {n:,} orders",
        peak_rss_mb(),
        "MB",
        note=f"{NO_TARGET}; RSS before: {baseline} MB",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--scenario", choices=["ar-status", "ingest", "all"], default="all"
    )
    parser.add_argument("--serve-invoices", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_invoices:
        return serve_invoices(args.serve_invoices)
    if args.scenario == "all":
        # A process per scenario: ru_maxrss is a process's lifetime peak.
        for name in ("ar-status", "ingest"):
            cmd = [sys.executable, __file__, "--scenario", name]
            subprocess.run([*cmd, "--records", str(args.records)], check=True)
        return None
    return (ar_status if args.scenario == "ar-status" else ingest)(args.records)


if __name__ == "__main__":
    main()
