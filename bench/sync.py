"""End-to-end sync throughput: demo Shopify webhooks in → documents posted in Intacct.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ihbench \\
        .venv/bin/python bench/sync.py --orders 10000 --latency-ms 50 --concurrency 2

The sandbox runs as its own process (`python -m sandbox serve`), so the CPU time this
process spends is the hub's alone: signed webhooks through the real WSGI stack,
normalization, planning, mapping, batching and settling. Prints one JSON line per
mode; never asserts. Targets (issue 7): >= 200 orders/s end to end, <= 2 ms hub CPU
per record, <= 2.05 billed transactions per order in detail mode and <= 1 per
channel-day in summary mode. The database must be migrated (`manage.py migrate`).
"""

import argparse
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intacct_hub.settings")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(latency_ms):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", str(port),
         "--latency-ms", str(latency_ms)],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/_sandbox/counts", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the sandbox did not start")


def setup(url, mode, concurrency):
    from commerce.models import Source
    from mappings.models import PostingPolicy
    from mappings.services import (
        mapping_set_ensure_default,
        mapping_set_export,
        mapping_set_import,
    )
    from sandbox import demo_credentials
    from sync.models import Connection

    tag = uuid.uuid4().hex[:8]
    default, _ = mapping_set_ensure_default()
    rules = mapping_set_import(
        data=mapping_set_export(mapping_set=default), name=f"bench-{tag}"
    )
    PostingPolicy.objects.filter(mapping_set=rules).update(mode=mode)
    source = Source.objects.create(
        name=f"Bench {tag}",
        slug=f"bench-{tag}",
        kind=Source.Kind.SHOPIFY,
        webhook_secret=secrets.token_urlsafe(24),
    )
    creds = demo_credentials()
    connection = Connection.objects.create(
        name=f"Bench {tag}",
        slug=f"bench-{tag}",
        api_base_url=url,
        company_id=creds["company_id"],
        sender_id=creds["sender_id"],
        sender_password=creds["sender_password"],
        user_id=creds["user_id"],
        user_password=creds["user_password"],
        oauth_client_id=creds["client_id"],
        oauth_client_secret=creds["client_secret"],
        requests_per_second=1000,
        max_concurrency=concurrency,
        mapping_set=rules,
    )
    connection.sources.add(source)
    return connection, source


def deliver(source, orders, seed):
    """Every demo webhook through the real endpoint, then normalized."""
    from commerce.deliveries import delivery_process
    from commerce.demo import demo_traffic
    from commerce.management.commands.demo_data import client_for
    from commerce.models import InboundDelivery
    from commerce.sources.shopify import sign

    deliveries = demo_traffic(orders=orders, seed=seed)
    with client_for(None) as client:
        for delivery in deliveries:
            body = json.dumps(delivery.body).encode()
            client.post(
                f"/webhooks/shopify/{source.slug}/",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Shopify-Topic": delivery.topic,
                    "X-Shopify-Hmac-Sha256": sign(source.webhook_secret, body),
                    "X-Shopify-Webhook-Id": f"{source.slug}-{delivery.webhook_id}",
                },
            )
    pending = InboundDelivery.objects.filter(source=source).values_list("pk", flat=True)
    for pk in pending:
        delivery_process(delivery_id=pk)
    return len(deliveries)


def run(args, mode):
    import django

    django.setup()
    from sync.models import Posting
    from sync.services.summary import ledger_sync

    sandbox, url = start_sandbox(args.latency_ms)
    try:
        connection, source = setup(url, mode, args.concurrency)
        started, cpu = time.perf_counter(), time.process_time()
        webhooks = deliver(source, args.orders, args.seed)
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        ledger_sync(connection=connection, until=tomorrow)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        counts = httpx.get(f"{url}/_sandbox/counts", timeout=10).json()
        billed = counts["_billed"].get(connection.company_id, 0)
        postings = Posting.objects.filter(connection=connection)
        periods = postings.filter(action="post_gl_summary").count()
        return {
            "mode": mode,
            "orders": args.orders,
            "webhooks": webhooks,
            "seconds": round(seconds, 2),
            "orders_per_s": round(args.orders / seconds, 1),
            "hub_cpu_ms_per_record": round(cpu_seconds * 1000 / webhooks, 3),
            "transactions_per_order": round(billed / args.orders, 3),
            "transactions_per_channel_day": round(billed / periods, 2)
            if periods
            else None,
            "posted": postings.filter(status="posted").count(),
            "failed": postings.filter(status="failed").count(),
            "latency_ms": args.latency_ms,
            "concurrency": args.concurrency,
        }
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--mode", choices=["detail", "summary", "both"], default="both")
    args = parser.parse_args()
    modes = ["detail", "summary"] if args.mode == "both" else [args.mode]
    for mode in modes:
        print(json.dumps(run(args, mode)), flush=True)


if __name__ == "__main__":
    main()
