"""`make bench`: run every benchmark in bench/ repeatedly and write bench/RESULTS.md.

    .venv/bin/python bench/run.py                 # full sizes, ~20-minute budget
    BENCH_QUICK=1 .venv/bin/python bench/run.py   # small sizes, a minute or two

Each benchmark script runs as a subprocess; its stdout JSON lines that carry a
"figure" key are the results (bench/common.py), everything else goes to a log under
var/bench/. Every benchmark runs once first (so every figure is measured), then the
remaining repeats run round-robin while the time budget (BENCH_BUDGET_S, default
1,140 s: 19 minutes, leaving room under the 20-minute goal) still has room for one
more run of that benchmark at its slowest pace so far. Repeats that do not fit are
left out and RESULTS.md says so. The test suite never runs this.

BENCH_OUT overrides where the report goes (default bench/RESULTS.md; quick runs
write var/bench/RESULTS-quick.md instead); BENCH_NOTE
adds a line to it (e.g. "machine shared with other engineers").
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from results import write_results  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
BUDGET_S = float(os.environ.get("BENCH_BUDGET_S", 150 if QUICK else 1140))
PG = "postgres://postgres@127.0.0.1:5432"
DASHBOARD_DB = f"{PG}/intacct_hub_bench" + ("_quick" if QUICK else "")


@dataclasses.dataclass
class Bench:
    key: str
    title: str
    args: list[str]  # full size
    quick: list[str]  # BENCH_QUICK=1
    runs: int  # planned repeats at full size
    timeout: int  # seconds before a run is killed
    targets: str  # where the targets come from, shown even if the run fails
    env: dict = dataclasses.field(default_factory=dict)
    done: list = dataclasses.field(default_factory=list)  # one Run per run

    def command(self) -> list[str]:
        return [sys.executable, *(self.quick if QUICK else self.args)]


@dataclasses.dataclass
class Run:
    seconds: float
    status: str  # "ok", "exit N", "timeout"
    figures: list[dict]
    log: str


SYNC_TARGETS = (
    "issue 7: for 10,000 orders on PostgreSQL against the sandbox at 50 ms latency "
    "and a concurrency cap of 2: >= 200 orders/s end to end, <= 2 ms hub CPU per "
    "record, <= 2.05 billed transactions per order (detail), <= 1 per channel-day "
    "(summary)"
)
SYNC = ["--orders", "10000", "--latency-ms", "50", "--concurrency", "2", "--seed", "1"]
SYNC_QUICK = [
    "--orders",
    "150",
    "--latency-ms",
    "50",
    "--concurrency",
    "2",
    "--seed",
    "1",
]
SEED_QUICK = ["--postings", "20000", "--failures", "1000"]

BENCHES = [
    Bench(
        "sandbox-xml",
        "Sandbox: XML creates/s",
        ["bench/sandbox.py", "--requests", "2000", "--clients", "50"],
        ["bench/sandbox.py", "--requests", "200", "--clients", "10"],
        3,
        300,
        "no target is written down for the sandbox (sandbox/README.md quotes "
        "reference figures: XML about 2,300/s in-process, 640/s loopback with one "
        "client, 870/s with 50 clients)",
    ),
    Bench(
        "sandbox-rest",
        "Sandbox: REST creates/s",
        ["bench/sandbox.py", "--api", "rest", "--requests", "2000", "--clients", "50"],
        ["bench/sandbox.py", "--api", "rest", "--requests", "200", "--clients", "10"],
        3,
        300,
        "no target is written down for the sandbox",
    ),
    Bench(
        "client",
        "Client: hub IntacctClient vs the published sageintacctsdk",
        ["bench/client.py", "--records", "1000", "--sdk-records", "200"],
        ["bench/client.py", "--records", "100", "--sdk-records", "20"],
        3,
        400,
        "bench/README.md: hub >= 20x the SDK loop, <= 0.1 requests per record, "
        "<= 2.05 billed transactions per record (N=1,000, 50 ms, cap 2); the SDK "
        "loop runs 200 records (a sequential loop's rate does not depend on N), to "
        "fit the budget",
    ),
    Bench(
        "ingest",
        "Ingest API over loopback",
        ["bench/ingest.py", "--seconds", "60", "--concurrency", "2", "--batch", "100"],
        ["bench/ingest.py", "--seconds", "5", "--concurrency", "2", "--batch", "100"],
        2,
        300,
        "bench/ingest.py: on PostgreSQL, >= 500 records/s for 60 s in batches of "
        "100, p95 < 250 ms, zero lost",
    ),
    Bench(
        "sync-detail",
        "Sync end to end: detail mode",
        ["bench/sync.py", "--mode", "detail", *SYNC],
        ["bench/sync.py", "--mode", "detail", *SYNC_QUICK],
        3,
        1500,
        SYNC_TARGETS,
    ),
    Bench(
        "sync-summary",
        "Sync end to end: summary mode",
        ["bench/sync.py", "--mode", "summary", *SYNC],
        ["bench/sync.py", "--mode", "summary", *SYNC_QUICK],
        3,
        1500,
        SYNC_TARGETS,
    ),
    Bench(
        "dashboard-seed",
        "Dashboard dataset: 1,000,000 postings (seed)",
        ["bench/seed_big.py"],
        ["bench/seed_big.py", *SEED_QUICK],
        1,
        600,
        "no target stated; seeding is part of make bench's 20-minute budget",
        env={"BENCH_DATABASE_URL": DASHBOARD_DB},
    ),
    Bench(
        "dashboard",
        "Dashboard at 1,000,000 postings / 50,000 open failures",
        ["bench/dashboard.py", "--runs", "20"],
        ["bench/dashboard.py", "--runs", "5", *SEED_QUICK],
        3,
        600,
        "dashboard issue (bench/dashboard.py): < 300 ms per page",
        env={"BENCH_DATABASE_URL": DASHBOARD_DB},
    ),
    Bench(
        "memory",
        "Memory of a 100,000-record run",
        ["bench/memory.py", "--records", "100000"],
        ["bench/memory.py", "--records", "5000"],
        2,
        600,
        "no memory target is written down; TEST-CATALOGUE.md E2: ingest 100k "
        "orders in < 60 s",
    ),
]


def run_once(bench: Bench, logs: Path) -> Run:
    number = len(bench.done) + 1
    log = logs / f"{bench.key}-{number}.log"
    print(f"== {bench.key} run {number}: {' '.join(bench.command()[1:])}", flush=True)
    started = time.monotonic()
    with log.open("w") as err:
        try:
            done = subprocess.run(
                bench.command(),
                cwd=ROOT,
                env={**os.environ, **bench.env},
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                timeout=bench.timeout,
            )
            out, status = (
                done.stdout,
                "ok" if done.returncode == 0 else (f"exit {done.returncode}"),
            )
        except subprocess.TimeoutExpired as exc:
            out, status = exc.stdout or "", f"killed after {bench.timeout} s"
            if isinstance(out, bytes):
                out = out.decode(errors="replace")
        err.write("\n--- stdout ---\n" + out)
    figures = []
    for line in out.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "figure" in parsed:
            figures.append(parsed)
    run = Run(round(time.monotonic() - started, 1), status, figures, str(log))
    print(f"   {status}, {run.seconds} s, {len(figures)} figures", flush=True)
    return run


def git_head() -> str:
    """The commit checked out now: others may commit to this tree during a run."""
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    started = time.monotonic()
    logs = ROOT / "var" / "bench" / time.strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    commit_before = git_head()
    for bench in BENCHES:  # every figure measured once
        bench.done.append(run_once(bench, logs))
    while True:  # then repeats, round-robin, while the budget has room
        ran = False
        for bench in BENCHES:
            if len(bench.done) >= bench.runs or bench.done[-1].status != "ok":
                continue
            slowest = max(r.seconds for r in bench.done)
            if time.monotonic() - started + slowest > BUDGET_S:
                continue
            bench.done.append(run_once(bench, logs))
            ran = True
        if not ran:
            break
    # A quick run never overwrites the committed figures.
    default = ROOT / ("var/bench/RESULTS-quick.md" if QUICK else "bench/RESULTS.md")
    out = Path(os.environ.get("BENCH_OUT", default))
    write_results(
        out,
        BENCHES,
        quick=QUICK,
        budget_s=BUDGET_S,
        total_s=time.monotonic() - started,
        load=(load_before, os.getloadavg()),
        commits=(commit_before, git_head()),
        logs=logs.relative_to(ROOT),
        note=os.environ.get("BENCH_NOTE", ""),
    )
    print(f"wrote {out} in {time.monotonic() - started:.0f} s (logs: {logs})")


if __name__ == "__main__":
    main()
