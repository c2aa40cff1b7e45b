"""Concurrent integrators against ``tripline local``: does the runtime keep answering, and keep up?

Run from the repository root: ``.venv/bin/python -m bench.local_concurrency --help``.

For each client count (1, 4 and 16 by default) a fresh, migrated database and a fresh ``tripline
local`` (a subprocess with an admin key, as ``bench.csv_pipeline`` starts it) take ``--seconds``
of load: every client POSTs batches of ``--batch`` new events to ``/events`` one after another,
each on a new connection, and tallies what came back (``bench.integrators``). The figures per client count: events
accepted per second of load, p50/p95 latency of a POST, timeouts, connection errors, answers
other than 202, items answered ``not_queued`` (or anything but ``accepted``), then how long the
processors took to store the backlog and the end-to-end rate that gives.

Checked on every run, and the bench exits 1 when one fails: every accepted item is stored exactly
once (its id among the stored ones, ``events`` and ``raw_events`` each holding exactly the accepted
items, nothing rejected), and the runtime leaves no process behind when stopped. Checked as the
target (issue 16): at the most clients, every request answered 202, every item queued, and at least
``--min-ratio`` times the single-client rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.csv_pipeline import local_runtime
from bench.databases import BenchmarkError, Database, fresh_database, verify_counts
from bench.integrators import Tally, load
from chalicelib.adapters.db.engine import make_engine

MARK = "TRIPLINE_BENCH_LOCAL_RUN"  # in every process the runtime starts, to find any left behind


def stored_ids(database: Database) -> list[str]:
    engine = make_engine(database.url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT event_id FROM events")))
    finally:
        engine.dispose()


def drain(database: Database, expected: int, patience: float) -> tuple[float, int]:
    """Seconds until ``expected`` events are stored, or until ``patience`` s went by without
    progress; and how many were stored by then."""
    started = last_progress = time.perf_counter()
    seen = -1
    while True:
        count = len(stored_ids(database))
        if count >= expected or time.perf_counter() - last_progress > patience:
            return time.perf_counter() - started, count
        if count != seen:
            seen, last_progress = count, time.perf_counter()
        time.sleep(0.25)


def stored_once(database: Database, accepted: list[str]) -> list[str]:
    """What is wrong with the stored events, given the ids accepted (nothing: each stored once)."""
    ids = stored_ids(database)
    if sorted(ids) != sorted(accepted):
        missing, extra = set(accepted) - set(ids), set(ids) - set(accepted)
        return [
            f"{len(accepted)} accepted, {len(ids)} stored; missing {sorted(missing)[:3]}, "
            f"not accepted {sorted(extra)[:3]}"
        ]
    try:
        verify_counts(database, len(accepted), "stored")
    except BenchmarkError as error:
        return [str(error)]
    return []


def left_behind(mark: str) -> list[int]:
    """Processes still running with ``mark`` in their environment (Linux's ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if f"{MARK}={mark}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@dataclass
class Level:
    """One client count's run: the load, the backlog's storing, and what its checks found."""

    clients: int
    tally: Tally
    seconds: float
    backlog: float  # seconds from the load's end until every accepted event was stored
    stored: int
    problems: list[str]

    @property
    def rate(self) -> float:
        return len(self.tally.ids) / self.seconds

    def row(self) -> str:
        tally, accepted = self.tally, len(self.tally.ids)
        latencies = sorted(tally.latencies) or [0.0]
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        if self.stored == accepted:
            backlog, end_to_end = (
                f"{self.backlog:.1f}",
                f"{accepted / (self.seconds + self.backlog):,.0f}",
            )
        else:
            backlog, end_to_end = (
                f"{self.stored:,} of {accepted:,} stored in {self.backlog:.0f}",
                "-",
            )
        return (
            f"| {self.clients} | {len(tally.latencies) + tally.timeouts + tally.connection_errors}"
            f" | **{self.rate:,.0f}** | {statistics.median(latencies) * 1000:,.0f}"
            f" | {p95 * 1000:,.0f} | {tally.timeouts} | {tally.connection_errors}"
            f" | {tally.refused} | {tally.not_queued + tally.other_items} | {backlog}"
            f" | {end_to_end} |"
        )


def one_level(clients: int, args: Any, workdir: Path) -> Level:
    """A fresh database and runtime, ``clients`` integrators for the run's seconds, the backlog
    stored, and the level's checks: stored exactly once, no process outliving the runtime."""
    mark = uuid.uuid4().hex
    os.environ[MARK] = mark  # inherited by the runtime and every process it starts
    folder = workdir / f"clients-{clients}"
    folder.mkdir()
    with fresh_database(args.backend, f"load{clients}", folder) as database:
        with local_runtime(database.url, folder) as runtime:
            tally, seconds = load(runtime.api, runtime.key, clients, args)
            backlog, stored = drain(database, len(tally.ids), args.patience)
        problems = stored_once(database, tally.ids)
    time.sleep(0.5)
    if left := left_behind(mark):
        problems.append(f"processes {left} outlived the stopped runtime")
    if problems:
        log = (folder / "local.log").read_text(errors="replace").splitlines()
        print("\n".join(["the runtime's last log lines:", *log[-30:]]), file=sys.stderr)
    problems = [f"{clients} clients: {problem}" for problem in problems]
    return Level(clients, tally, seconds, backlog, stored, problems)


def target_failures(first: Level, most: Level, min_ratio: float) -> list[str]:
    """What the most-clients level missed of the target, as sentences (none: it held)."""
    tally = most.tally
    problems = [
        f"{count} {what}"
        for count, what in (
            (tally.timeouts, "requests timed out"),
            (tally.connection_errors, f"connection errors {dict(tally.errors)}"),
            (tally.refused, "answers other than 202"),
            (tally.not_queued + tally.other_items, "items not accepted"),
        )
        if count
    ]
    if most.rate < min_ratio * first.rate:
        problems.append(
            f"{most.rate / first.rate:.2f}x the {first.clients}-client rate (wanted {min_ratio:g})"
        )
    return [f"{most.clients} clients: {problem}" for problem in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="1,4,16", help="client counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="load per client count")
    parser.add_argument("--batch", type=int, default=10, help="events per POST")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds a POST may take")
    parser.add_argument("--backend", choices=("sqlite", "mysql"), default="sqlite")
    parser.add_argument("--patience", type=float, default=60.0, help="seconds without progress")
    parser.add_argument("--min-ratio", type=float, default=1.0, help="most / fewest clients rate")
    args = parser.parse_args(argv)
    counts = sorted({int(one) for one in args.clients.split(",")})
    print(f"{args.backend}, batches of {args.batch}, {args.seconds:g} s per client count")
    print(
        "| clients | requests | events/s accepted | p50 ms | p95 ms | timeouts | connection errors"
        " | non-202 | items not accepted | backlog stored in s | events/s end to end |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    levels = []
    with tempfile.TemporaryDirectory(prefix="tripline-bench-") as folder:
        for clients in counts:
            levels.append(one_level(clients, args, Path(folder)))
            print(levels[-1].row(), flush=True)
    first, most = levels[0], levels[-1]
    print(f"ratio {most.clients} clients / {first.clients}: {most.rate / first.rate:.2f}x")
    problems = [p for level in levels for p in level.problems]
    if failures := problems + target_failures(first, most, args.min_ratio):
        print("failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    accepted = sum(len(level.tally.ids) for level in levels)
    print(
        f"checked: each of {accepted:,} accepted events stored exactly once, no process left "
        f"behind; {most.clients} clients: every request answered 202, every item queued, "
        f"at least {args.min_ratio:g}x the {first.clients}-client rate"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
