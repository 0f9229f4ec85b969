"""Helpers shared by the bench scripts: the figure line, throwaway PostgreSQL
databases, process CPU and memory readings.

Every script prints one JSON line per figure (`figure()`), which bench/run.py
collects into bench/RESULTS.md:

    {"figure": "detail orders/s", "value": 31.8, "unit": "orders/s",
     "target": 200, "direction": ">=", "source": "issue 7"}

`direction` says which way is good: ">=" / ">" (at least), "<=" / "<" (at most),
"==" (exactly); it is null, like `target`, where no target is written down.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import sys
import tempfile
import uuid
from pathlib import Path

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
# The hub as deployed: DEBUG off (with it on, Django keeps every query's SQL and
# timing, which is not work production does). Set DEBUG to measure otherwise.
os.environ.setdefault("DEBUG", "false")


def figure(name, value, unit, target=None, direction=None, source=None, note=None):
    """Print one machine-readable result line (and return it)."""
    line = {
        "figure": name,
        "value": value,
        "unit": unit,
        "target": target,
        "direction": direction if target is not None else None,
        "source": source,
    }
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)
    return line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux: ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def cpu_seconds_of(pid: int) -> float | None:
    """User + system CPU seconds a live process has used (from /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure means "use SQLite instead"
        return False


class ThrowawayPostgres:
    """A database of our own on the shared server, dropped afterwards, so
    concurrent runs (and other engineers' test databases) never collide."""

    def __init__(self, prefix: str = "hub_bench"):
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = f"{PG_SERVER}/{self.name}"

    def _admin(self):
        import psycopg

        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)

    def __enter__(self):
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        # Django may never have been set up: then there is nothing to close.
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@contextlib.contextmanager
def bench_database():
    """Set DATABASE_URL (before Django starts) to a database of the bench's own and
    yield its description: DATABASE_URL as given; else a throwaway database on the
    local PostgreSQL; else a throwaway SQLite file (with a note on stderr).
    Throwaway databases are dropped afterwards."""
    if os.environ.get("DATABASE_URL"):
        yield "DATABASE_URL as given"
        return
    if postgres_available():
        with ThrowawayPostgres() as db:
            os.environ["DATABASE_URL"] = db.url
            yield "PostgreSQL, throwaway database"
        return
    path = Path(tempfile.gettempdir()) / f"hub_bench_{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    print(
        f"note: PostgreSQL is not reachable; falling back to SQLite ({path})",
        file=sys.stderr,
    )
    try:
        yield "SQLite fallback: PostgreSQL not reachable"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
