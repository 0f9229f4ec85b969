"""Make the dashboard's big dataset in PostgreSQL: 1,000,000 postings over 90 days
(two connections), 50,000 of them failed with an open failure, 20,000 pending,
the rest posted; 20,000 source records; a year of daily API usage.

    python bench/seed_big.py [--postings 1000000] [--failures 50000] [--force]

Uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
intacct_hub_bench), migrates it, and loads rows with PostgreSQL COPY. Idempotent:
a database that already holds the postings is left as it is (unless --force).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "postgres://postgres@127.0.0.1:5432/intacct_hub_bench"


def setup_django():
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intacct_hub.settings")
    import django
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
        if not c.execute(
            "SELECT 1 FROM pg_database WHERE datname=%s", [name]
        ).fetchone():
            c.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(postings=1_000_000, failures=50_000, force=False):
    from django.db import connection as db

    from commerce.models import Source
    from sync.models import Posting
    from tests.factories import make_connection, make_mapping_set

    if Posting.objects.count() >= postings and not force:
        print(f"seed_big: {postings} postings already there", file=sys.stderr)
        return None
    started = time.monotonic()
    with db.cursor() as cursor:
        cursor.execute(
            "TRUNCATE sync_auditevent, sync_failure, sync_postingattempt, "
            "sync_posting, sync_syncrun, sync_apiusage, sync_externalref, "
            "commerce_sourcerecord RESTART IDENTITY CASCADE"
        )
    ms = make_mapping_set(name=f"bench-{time.time_ns()}")
    conns = [
        make_connection(
            name=f"Bench {i}", slug=f"bench-{time.time_ns()}-{i}", mapping_set=ms
        )
        for i in range(2)
    ]
    source = Source.objects.create(
        name="Bench shop", slug=f"bench-shop-{time.time_ns()}", kind="shopify"
    )
    for c in conns:
        c.sources.add(source)
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=90)
    step = (now - start) / postings
    n_records = 20_000
    db.ensure_connection()
    raw = db.connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY commerce_sourcerecord (source_id, kind, external_id, payload, "
            "content_hash, version, is_tombstone, received_at) FROM STDIN"
        ) as copy:
            for i in range(n_records):
                payload = {
                    "id": f"O-{i}",
                    "number": f"SO-{i}",
                    "lines": [
                        {"sku": f"SKU-{i % 500}", "quantity": 1, "unit_price": "9.90"}
                    ],
                }
                copy.write_row(
                    [
                        source.pk,
                        "order",
                        f"O-{i}",
                        json.dumps(payload),
                        f"{i:064d}",
                        1,
                        False,
                        start + step * i * 50,
                    ]
                )
        cur.execute("SELECT min(id) FROM commerce_sourcerecord")
        first_record = cur.fetchone()[0]
        failed_every = postings // failures
        with cur.copy(
            "COPY sync_posting (connection_id, source_record_id, action, "
            "intacct_object, idempotency_key, status, payload, attempt_count, "
            "next_attempt_at, leased_by, result_key, result_id, skip_reason, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(postings):
                at = start + step * i
                if i % failed_every == 0:
                    status = "failed"
                elif i >= postings - 20_000:
                    status = "pending"
                else:
                    status = "posted"
                posted = status == "posted"
                copy.write_row(
                    [
                        conns[i % 2].pk,
                        first_record + i % n_records,
                        "post_ar_invoice",
                        "ARINVOICE",
                        f"{i:032x}",
                        status,
                        '{"customer_id": "C-1", "lines": [{"amount": "9.90"}]}',
                        1,
                        at,
                        "",
                        str(i) if posted else "",
                        f"INV-{i}" if posted else "",
                        "",
                        at,
                        at + dt.timedelta(seconds=3),
                    ]
                )
        categories = ["business", "validation", "missing_mapping", "transport"]
        cur.execute(
            "SELECT id, created_at FROM sync_posting WHERE status = 'failed' "
            "ORDER BY id"
        )
        failed = cur.fetchall()
        with cur.copy(
            "COPY sync_failure (posting_id, category, message, errorno, description2,"
            " correction, support_id, details, resolution, resolution_note, "
            "created_at) FROM STDIN"
        ) as copy:
            for n, (pk, at) in enumerate(failed):
                copy.write_row(
                    [
                        pk,
                        categories[n % 4],
                        f"Customer C-{n} does not exist",
                        "BL01001973",
                        "",
                        "Create the customer first",
                        f"sup{n}",
                        '{"errors": []}',
                        "",
                        "",
                        at,
                    ]
                )
        with cur.copy(
            "COPY sync_apiusage (connection_id, day, transactions, rate_limited) "
            "FROM STDIN"
        ) as copy:
            for c in conns:
                for d in range(365):
                    copy.write_row(
                        [c.pk, now.date() - dt.timedelta(days=d), 3000, d % 3]
                    )
        # As autovacuum would: the visibility map lets index-only scans skip the heap.
        cur.execute("VACUUM ANALYZE sync_posting, sync_failure, commerce_sourcerecord")
    seconds = time.monotonic() - started
    print(
        f"seed_big: {postings} postings, {len(failed)} open failures, "
        f"{n_records} records in {seconds:.0f} s",
        file=sys.stderr,
    )
    return seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--failures", type=int, default=50_000)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    setup_django()
    seconds = seed(args.postings, args.failures, args.force)
    from common import figure

    figure(
        f"seed {args.postings:,} postings (COPY)",
        round(seconds, 1) if seconds is not None else None,
        "s",
        note="no target stated; part of make bench's 20-minute budget"
        if seconds is not None
        else "already seeded: the existing dataset was reused",
    )


if __name__ == "__main__":
    main()
