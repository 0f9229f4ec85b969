"""Ingest API throughput over loopback: concurrent clients, batches, a real server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ihc \
        .venv/bin/python bench/ingest.py --seconds 60 --concurrency 2 --batch 100

Starts `manage.py runserver --noreload` (threaded) on an ephemeral port against
DATABASE_URL if set, else a throwaway database on the local PostgreSQL (SQLite if
there is none; bench/common.py), creates a fresh ingest source, drives it with N client
threads for the given time, then counts the rows in the database. Prints a summary
and one JSON figure line per figure; never asserts. Target on PostgreSQL: >= 500
records/s for 60 s in batches of 100, p95 < 250 ms, zero lost.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intacct_hub.settings")

from common import bench_database, figure, free_port  # noqa: E402

SOURCE = "bench/ingest.py docstring"


def order(external_id, n):
    price, quantity = f"{10 + n % 40}.00", 1 + n % 3
    gross = (10 + n % 40) * quantity
    tax = f"{gross * 0.08:.2f}"
    total = f"{gross + 5 + float(tax):.2f}"
    return {
        "kind": "order",
        "external_id": external_id,
        "data": {
            "number": f"B-{external_id}",
            "email": f"buyer{n % 500}@example.com",
            "customer": {"id": f"C{n % 500}"},
            "currency": "USD",
            "financial_status": "paid",
            "fulfillment_status": "unfulfilled",
            "payment_gateways": ["stripe"],
            "lines": [
                {
                    "id": f"{external_id}-1",
                    "sku": f"SKU-{n % 50}",
                    "title": "Bench item",
                    "quantity": quantity,
                    "unit_price": price,
                    "discount": "0.00",
                    "tax_lines": [{"title": "Tax", "rate": "0.08", "amount": tax}],
                }
            ],
            "shipping_lines": [
                {"title": "Std", "price": "5.00", "discount": "0.00", "tax_lines": []}
            ],
            "discounts": [],
            "taxes_included": False,
            "subtotal_price": f"{gross:.2f}",
            "total_discounts": "0.00",
            "total_shipping": "5.00",
            "total_tax": tax,
            "total_price": total,
            "created_at": "2024-06-01T10:00:00Z",
            "updated_at": "2024-06-01T10:00:00Z",
        },
    }


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies, self.sent, self.errors = [], 0, {}

    def add(self, seconds, status, records):
        with self.lock:
            self.latencies.append(seconds)
            if status in (200, 201):
                self.sent += records
            else:
                self.errors[status] = self.errors.get(status, 0) + 1


def client_loop(base, token, slug, batch, deadline, stats, worker):
    url = f"{base}/api/v1/sources/{slug}/records/"
    headers = {"Authorization": f"Bearer {token}"}
    n = 0
    with httpx.Client(timeout=60, headers=headers) as client:
        while time.monotonic() < deadline:
            records = []
            for _ in range(batch):
                n += 1
                records.append(order(f"w{worker}-{n}", n))
            started = time.perf_counter()
            try:
                status = client.post(url, json={"records": records}).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            stats.add(time.perf_counter() - started, status, batch)


def start_server(port):
    # The sandbox is not needed to ingest; DEBUG off, as in production. The per-token
    # rate limit (600 requests a minute by default) is off: this measures what the
    # ingest path can take, and at 1,000 records/s in batches of 100 (about what two
    # clients reach) the clients send 600 requests a minute.
    env = {
        **os.environ,
        "DEBUG": "false",
        "SANDBOX_ENABLED": "false",
        "INGEST_RATE_LIMIT_PER_MINUTE": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not come up")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with bench_database() as description:
        measure(args, description)


def measure(args, description):
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    from commerce.models import SourceRecord
    from commerce.services import source_create

    call_command("migrate", verbosity=0)
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    source, token = source_create(kind="ingest", slug=slug)
    port = free_port()
    server = start_server(port)
    stats = Stats()
    try:
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=client_loop,
                args=(
                    f"http://127.0.0.1:{port}",
                    token,
                    slug,
                    args.batch,
                    deadline,
                    stats,
                    worker,
                ),
            )
            for worker in range(args.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    stored = SourceRecord.objects.filter(source=source).count()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    ms = [s * 1000 for s in stats.latencies]
    print(f"database        {engine}")
    print(
        f"duration        {elapsed:.1f} s, {args.concurrency} clients, "
        f"batches of {args.batch}"
    )
    print(
        f"requests        {len(ms)} ({len(ms) / elapsed:.1f}/s), errors {stats.errors}"
    )
    print(f"records sent    {stats.sent} ({stats.sent / elapsed:.0f} records/s)")
    if ms:
        print(
            f"latency ms      p50 {statistics.median(ms):.0f}  "
            f"p95 {percentile(ms, 0.95):.0f}  p99 {percentile(ms, 0.99):.0f}  "
            f"max {max(ms):.0f}"
        )
    print(f"in database     {stored} (lost: {stats.sent - stored})")
    report(args, engine, description, elapsed, stats, ms, stored)


def report(args, engine, description, elapsed, stats, ms, stored):
    """Figure lines; the targets are stated for PostgreSQL and a 60 s run."""
    shape = f"{engine} ({description}), {args.concurrency} clients, "
    shape += f"batches of {args.batch}, {elapsed:.0f} s"
    if engine != "postgresql" or args.seconds < 60:
        shape += "; the targets are stated for PostgreSQL over 60 s"
    errors = sum(stats.errors.values())
    figure(
        "records/s",
        round(stats.sent / elapsed, 1),
        "records/s",
        500,
        ">=",
        SOURCE,
        note=shape,
    )
    p95 = round(percentile(ms, 0.95), 1) if ms else None
    figure("request latency p95", p95, "ms", 250, "<", SOURCE)
    if ms:
        figure("request latency p50", round(statistics.median(ms), 1), "ms")
    figure("records lost", stats.sent - stored, "records", 0, "==", SOURCE)
    figure("failed requests", errors, "requests", note=str(stats.errors or ""))


if __name__ == "__main__":
    main()
