"""bench/RESULTS.md from the runs bench/run.py collected: the machine, then per
benchmark a table of every figure over its runs (min / median / max), its target,
the ratio measured ÷ target and whether the median meets it."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
GOAL_S = 20 * 60  # issue 9: make bench completes in under 20 minutes


def meets(value, target, direction) -> bool:
    return {
        ">=": value >= target,
        ">": value > target,
        "<=": value <= target,
        "<": value < target,
        "==": value == target,
    }[direction]


def number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


class Figure:
    """One figure over every run of a benchmark."""

    def __init__(self, line: dict):
        self.name, self.unit = line["figure"], line.get("unit") or ""
        self.target, self.direction = line.get("target"), line.get("direction")
        self.source, self.values, self.notes = line.get("source"), [], []

    def add(self, line: dict) -> None:
        if line.get("value") is not None:
            self.values.append(line["value"])
        note = line.get("note")
        if note and note not in self.notes and note != "no target stated":
            self.notes.append(note)

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    def ratio(self) -> str:
        if self.target in (None, 0) or self.median is None:
            return "—"
        return f"{self.median / self.target:.2f}"

    def verdict(self) -> str:
        if self.target is None:
            return "no target stated"
        if self.median is None:
            return "**not measured**"
        runs = [meets(v, self.target, self.direction) for v in self.values]
        if meets(self.median, self.target, self.direction):
            missed = runs.count(False)
            return "met" + (f" (missed in {missed} of {len(runs)} runs)" * bool(missed))
        hit = runs.count(True)
        return "**NOT MET**" + (f" (met in {hit} of {len(runs)} runs)" * bool(hit))

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return f"{self.direction} {number(self.target)} {self.unit}".strip()

    def row(self) -> str:
        values = self.values or [None]
        cells = [
            self.name,
            number(min(values) if self.values else None),
            number(self.median),
            number(max(values) if self.values else None),
            self.unit,
            self.target_text(),
            self.ratio(),
            self.verdict(),
        ]
        return "| " + " | ".join(cells) + " |"


def figures_of(bench) -> list[Figure]:
    found: dict[str, Figure] = {}
    for run in bench.done:
        for line in run.figures:
            figure = found.setdefault(line["figure"], Figure(line))
            figure.add(line)
    return list(found.values())


# -- the machine ----------------------------------------------------------------------


def command(*args) -> str:
    try:
        return subprocess.run(
            args, cwd=ROOT, capture_output=True, text=True, timeout=20, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def read_first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line
    except OSError:
        pass
    return "unknown"


def postgres_version() -> str:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3) as conn:
            return conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
    except Exception:  # noqa: BLE001 - report, never fail the write-up
        return "not reachable (benchmarks fell back to SQLite where they can)"


def machine(load, commits, note: str) -> list[str]:
    mem_kb = read_first("/proc/meminfo", "MemTotal").split()[0]
    os_name = read_first("/etc/os-release", "PRETTY_NAME=").split("=", 1)[-1]
    dirty = command("git", "status", "--porcelain").splitlines()
    before, after = commits
    if before == after:
        commit = f"`{after}`"
    else:
        landed = command("git", "rev-list", "--count", f"{before}..{after}") or "?"
        commit = (
            f"`{before}` at the start, `{after}` at the end ({landed} commits "
            "landed during the run; each benchmark ran the code present when it "
            "started)"
        )
    lines = [
        f"- CPU: {read_first('/proc/cpuinfo', 'model name')}, "
        f"{os.cpu_count()} logical cores",
        f"- RAM: {int(mem_kb) / 2**20:.1f} GiB" if mem_kb.isdigit() else "- RAM: ?",
        f"- OS: {os_name.strip(chr(34))}, Linux {platform.release()}",
        f"- Python: {platform.python_version()}",
        f"- PostgreSQL: {postgres_version()}",
        f"- Git commit: {commit}"
        + (
            f"; {len(dirty)} uncommitted paths in the working tree at the end"
            if dirty
            else "; clean working tree at the end"
        ),
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Load average (1 min) at start {load[0][0]:.2f}, at end {load[1][0]:.2f}",
    ]
    if load[0][0] > 0.5 * (os.cpu_count() or 1):
        lines.append(
            "- **The machine was busy when the run started** (other work on the "
            "same cores): throughput and latency figures are pessimistic; re-run "
            "on a quiet machine for the record."
        )
    if note:
        lines.append(f"- Note: {note}")
    return lines


# -- the write-up ---------------------------------------------------------------------


def runs_text(bench) -> str:
    done = len(bench.done)
    times = ", ".join(f"{r.seconds:.0f} s" for r in bench.done)
    text = f"{done} run{'s' * (done != 1)} ({times})"
    if done < bench.runs:
        if bench.done[-1].status != "ok":
            text += f" of {bench.runs} planned: not repeated after a failed run"
        else:
            text += f" of {bench.runs} planned: more did not fit the time budget"
            if done == 1:
                text += ", so min = median = max"
    return text


def bench_section(bench) -> list[str]:
    out = [f"## {bench.title}", ""]
    out.append(f"`python {' '.join(bench.command()[1:])}` — {runs_text(bench)}.")
    out += ["", f"Targets: {bench.targets}.", ""]
    for run in bench.done:
        if run.status != "ok":
            out.append(f"- **Run failed: {run.status}** (log: `{run.log}`)")
    figures = figures_of(bench)
    if not figures:
        return [
            *out,
            "",
            "**No figures: every run failed, so no target was measured.**",
            "",
        ]
    out += [
        "",
        "| figure | min | median | max | unit | target | ratio | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    out += [f.row() for f in figures]
    notes = [(f.name, n) for f in figures for n in f.notes]
    sources = sorted({f.source for f in figures if f.source})
    if notes or sources:
        out.append("")
    out += [f"- {name}: {note}" for name, note in notes]
    if sources:
        out.append(f"- Targets from: {'; '.join(sources)}")
    return [*out, ""]


def summary(benches, total_s: float, budget_s: float, quick: bool) -> list[str]:
    missed, met, failed = [], 0, []
    for bench in benches:
        failed += [f"{bench.title}: {r.status}" for r in bench.done if r.status != "ok"]
        for f in figures_of(bench):
            if f.target is None:
                continue
            if f.median is not None and meets(f.median, f.target, f.direction):
                met += 1
            else:
                missed.append(
                    f"- {bench.title} — **{f.name}**: {number(f.median)} {f.unit} "
                    f"against {f.target_text()} (ratio {f.ratio()})"
                )
    minutes = total_s / 60
    within = "within" if total_s < GOAL_S else "**over**"
    out = [
        f"`make bench` took {minutes:.1f} minutes, {within} the 20-minute goal "
        f"(runner budget {budget_s / 60:.0f} min).",
        "",
        f"Targets met: {met}. Targets not met: {len(missed)}"
        + (":" if missed else "."),
        "",
        *missed,
    ]
    if failed:
        out += ["", "Failed runs:", "", *[f"- {f}" for f in failed]]
    if quick:
        out = [
            "**QUICK MODE (BENCH_QUICK=1): small sizes for checking the runner; "
            "these figures are not comparable with the targets.**",
            "",
            *out,
        ]
    return out


def write_results(
    out: Path, benches, *, quick, budget_s, total_s, load, commits, logs, note
):
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); bench/README.md says what each "
        "benchmark does and how to run it. Each figure is shown over its runs "
        "(min / median / max); the verdict is on the median; ratio = median ÷ "
        "target (at least: ≥ 1 is good; at most: ≤ 1 is good). Figures with no "
        f"target are reported as measured. Raw output and logs: `{logs}/`.",
        "",
        "## Machine",
        "",
        *machine(load, commits, note),
        "",
        "## Summary",
        "",
        *summary(benches, total_s, budget_s, quick),
        "",
    ]
    for bench in benches:
        lines += bench_section(bench)
    out.write_text("\n".join(lines).rstrip() + "\n")
