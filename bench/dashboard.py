"""Server-side render times of the dashboard's busiest pages on the big dataset.

    python bench/dashboard.py [--runs 20]

Seeds the PostgreSQL bench database first if needed (bench/seed_big.py: 1,000,000
postings, 50,000 open failures), then renders each page in-process through
Django's test client (the chart cache cleared before every request, so every
home render pays for its chart) and prints p50/p95 in ms and queries per page, then
one JSON figure line per figure (bench/common.py). It never asserts; the dashboard
issue's target is < 300 ms per page, applied here to both p50 and p95.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import figure  # noqa: E402
from seed_big import seed, setup_django  # noqa: E402

SOURCE = "bench/dashboard.py docstring (dashboard issue)"


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--failures", type=int, default=50_000)
    args = parser.parse_args()
    setup_django()
    seed(args.postings, args.failures)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sync.models import Failure, Posting

    User = get_user_model()
    user = User.objects.filter(username="bench-admin").first() or (
        User.objects.create_superuser("bench-admin", password="bench-pw-1")
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    failure = Failure.objects.filter(resolved_at=None).order_by("-id").first()
    pages = {
        "home": "/dashboard/",
        "queue": "/dashboard/failures/",
        "queue (category)": "/dashboard/failures/?category=business",
        "queue (connection)": f"/dashboard/failures/?connection="
        f"{failure.posting.connection_id}",
        "queue (page 50)": "/dashboard/failures/?page=50",
        "failure detail": f"/dashboard/failures/{failure.pk}/",
    }
    print(f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}", file=sys.stderr)
    size = f"{Posting.objects.count():,} postings, {args.runs} renders"
    for name, url in pages.items():
        timings, queries = [], 0
        for _ in range(args.runs):
            cache.clear()
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            queries = len(captured)
            if response.status_code != 200:
                print(f"{name}: HTTP {response.status_code}", file=sys.stderr)
                break
        if response.status_code != 200:  # an error page's time is no page time
            note = f"HTTP {response.status_code}: not measured"
            figure(f"{name}: p95", None, "ms", 300, "<", SOURCE, note=note)
            continue
        p50, p95 = statistics.median(timings), percentile(timings, 95)
        print(f"{name:<22}{p50:>9.1f}{p95:>9.1f}{queries:>9}", file=sys.stderr)
        figure(f"{name}: p50", round(p50, 1), "ms", 300, "<", SOURCE, note=size)
        figure(f"{name}: p95", round(p95, 1), "ms", 300, "<", SOURCE)
        figure(f"{name}: queries", queries, "queries")


if __name__ == "__main__":
    main()
