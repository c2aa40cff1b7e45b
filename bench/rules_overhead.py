"""Events per second through the whole processor with the sample rules on, against rules off.

Run from the repository root: ``.venv/bin/python -m bench.rules_overhead --help``. Three sides of
``app.process_events``, each in a fresh container and a fresh database on the same server, in
the same run, their order alternating between trials:

- ``on``: ``TRIPLINE_RULES_DIR`` is the repository's ``rules/`` (sources, reference, seven rules);
- ``off``: a temporary folder holding only the same ``sources/`` and ``reference/``: events are
  still conformed to their source's columns and enriched, but no rule runs;
- ``none``: an empty folder: no conformance, no enrichment, no rules (the processor before rules).

``on/off`` is what the rules cost; ``off/none`` what the schema check and enrichment cost. After
every pass the events are counted (all stored, none rejected) and so are the rules' rows: each
sample rule of payments and logins must have fired with rules on, nothing may be recorded with
them off, and a replay must record nothing new. ``--csv-rows`` also measures ``app.process_rows``
on a shop file with the ``large-order`` rule on and off (``bench/rules_overhead_csv.py``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.databases import (
    BACKENDS,
    BenchmarkError,
    Database,
    fresh_database,
    verify_counts,
    verify_same_rows,
)
from bench.processor import ENVIRONMENT, deliver, tripline_handler
from bench.rules_overhead_report import Rates, report
from bench.rules_overhead_workload import EXPECTED_RULES, rule_batches
from bench.workload import rules_off_copy
from chalicelib.adapters.db.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
SIDES = ("on", "off", "none")
# the windows' state: buckets of threshold rules (a row per rule, group and bucket), the
# distinct values they counted, the groups, and the failures (which must stay at zero)
RULE_TABLES = (
    "rule_window_buckets",
    "rule_window_tokens",
    "rule_groups",
    "rule_failures",
)


@contextmanager
def rules_dirs(workdir: Path) -> Iterator[dict[str, Path]]:
    """The rules folder of each side; the temporary ones are removed afterwards."""
    off, none = rules_off_copy(workdir), workdir / "rules-none"
    none.mkdir()
    try:
        yield {"on": ROOT / "rules", "off": off, "none": none}
    finally:
        shutil.rmtree(off)
        shutil.rmtree(none)


def rule_counts(database: Database) -> dict[str, int]:
    """Matches by rule, and the rows of every other rule table."""
    engine = make_engine(database.url)
    try:
        with engine.connect() as conn:
            counts = {
                f"match:{rule}": count
                for rule, count in conn.execute(
                    text(
                        "SELECT rule_id, COUNT(*) FROM rule_matches GROUP BY rule_id ORDER BY rule_id"
                    )
                )
            }
            for table in RULE_TABLES:
                counts[table] = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()
    return counts


def check_rule_counts(side: str, counts: dict[str, int], expected: Sequence[str]) -> None:
    """The rules ran with them on, and nothing ran with them off; a rule failure is fatal."""
    if side != "on":
        if any(counts.values()):
            raise BenchmarkError(f"rules {side}: rule rows were recorded: {counts}")
        return
    silent = [rule for rule in expected if not counts.get(f"match:{rule}")]
    if silent or counts["rule_failures"]:
        raise BenchmarkError(
            f"rules on: {silent or 'no rule'} silent, "
            f"{counts['rule_failures']} rule failure(s): {counts}"
        )


def run_side(
    side: str, rules_dir: Path, database: Database, batches: Sequence[dict[str, Any]], count: int
) -> tuple[float, float, dict[str, int]]:
    """First delivery then replay in one fresh container; events/s of each, and the rule rows."""
    os.environ["TRIPLINE_RULES_DIR"] = str(rules_dir)
    with tripline_handler(database) as handler:
        first = deliver(handler, batches)
        verify_counts(database, count, f"rules {side}, first delivery")
        counts = rule_counts(database)
        replay = deliver(handler, batches)
        verify_counts(database, count, f"rules {side}, replay")
    check_rule_counts(side, counts, EXPECTED_RULES)
    if rule_counts(database) != counts:
        raise BenchmarkError(f"rules {side}: the replay changed the rule rows")
    return count / first, count / replay, counts


def measure_trial(
    backend: str,
    sides: Sequence[str],
    dirs: dict[str, Path],
    batches: Sequence[dict[str, Any]],
    count: int,
    workdir: Path,
) -> tuple[Rates, dict[str, int]]:
    with ExitStack() as stack:
        databases = {
            side: stack.enter_context(fresh_database(backend, f"rules_{side}", workdir))
            for side in sides
        }
        rates: Rates = {}
        counts: dict[str, int] = {}
        for side in sides:
            first, replay, side_counts = run_side(side, dirs[side], databases[side], batches, count)
            rates[side] = (first, replay)
            counts = side_counts if side == "on" else counts
        verify_same_rows(databases["on"], databases["off"])  # conformed and enriched alike
    return rates, counts


def measure_backend(
    backend: str,
    dirs: dict[str, Path],
    batches: Sequence[dict[str, Any]],
    count: int,
    repeat: int,
    workdir: Path,
) -> tuple[list[Rates], dict[str, int]]:
    trials: list[Rates] = []
    counts: dict[str, int] = {}
    sides = [side for side in SIDES if side in dirs]
    for index in range(repeat):
        order = sides if index % 2 == 0 else sides[::-1]
        rates, counts = measure_trial(backend, order, dirs, batches, count, workdir)
        print(
            f"  {backend} #{index + 1}: "
            + ", ".join(
                f"{side} {rates[side][0]:,.0f}/s (replay {rates[side][1]:,.0f}/s)" for side in order
            ),
            file=sys.stderr,
        )
        trials.append(rates)
    return trials, counts


def load_times(dirs: dict[str, Path], runs: int = 5) -> str:
    """The rule book's load, paid once per container (inside the first batch of each pass)."""
    from chalicelib.adapters.rule_files.rules import load_rulebook

    def once(folder: Path) -> float:
        started = time.perf_counter()
        load_rulebook(folder)
        return time.perf_counter() - started

    return ", ".join(
        f"{side} {statistics.median(once(folder) for _ in range(runs)) * 1000:.0f} ms"
        for side, folder in dirs.items()
    )


def profile_once(
    backend: str, rules_dir: Path, batches: Sequence[dict[str, Any]], top: int, workdir: Path
) -> None:
    """One rules-on first delivery under cProfile (its rate is not a figure)."""
    os.environ["TRIPLINE_RULES_DIR"] = str(rules_dir)
    with (
        fresh_database(backend, "rules_profile", workdir) as database,
        tripline_handler(database) as handler,
    ):
        profiler = cProfile.Profile()
        profiler.runcall(deliver, handler, batches)
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    print(f"\n## cProfile, rules on, first delivery on {backend}\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rules_overhead",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--events", type=int, default=20_000, help="events per pass")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="trials per backend")
    parser.add_argument(
        "--no-sources-side",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the side without sources (default: yes)",
    )
    parser.add_argument(
        "--csv-rows",
        type=int,
        default=100_000,
        help="rows of the shop file for the CSV figure (0: skip it)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile one rules-on pass")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    args = parser.parse_args(argv)
    if args.events < 1000 or args.repeat < 1 or args.csv_rows < 0:
        parser.error("--events must be at least 1000 (for every rule to fire), --repeat at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(ENVIRONMENT)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    batches = rule_batches(args.events)
    print(
        f"{args.events:,} payments and logins in {len(batches):,} SQS events, {args.repeat} "
        f"trial(s) per backend",
        file=sys.stderr,
    )
    with (
        tempfile.TemporaryDirectory(prefix="tripline-bench-") as tmp,
        rules_dirs(Path(tmp)) as dirs,
    ):
        if not args.no_sources_side:
            del dirs["none"]
        measured = {
            backend: measure_backend(backend, dirs, batches, args.events, args.repeat, Path(tmp))
            for backend in backends
        }
        report(
            {b: trials for b, (trials, _) in measured.items()},
            {b: counts for b, (_, counts) in measured.items()},
        )
        print(f"\nRule book load, once per container, inside each pass: {load_times(dirs)}")
        if args.csv_rows:
            from bench.rules_overhead_csv import measure_csv

            measure_csv(backends, dirs, args.csv_rows, args.repeat, Path(tmp))
        if args.profile:
            profile_once(backends[0], dirs["on"], batches, args.top, Path(tmp))
    print(
        f"\nchecked: every pass stored {args.events:,} events once, none rejected, no record "
        f"failed; with rules on {', '.join(EXPECTED_RULES)} matched and no rule failed, with "
        f"them off nothing was recorded; replays changed no rule row; on and off stored the "
        f"same rows ({', '.join(backends)})"
        + (
            "; CSV: every row stored, none rejected, the upload complete, `large-order` "
            "matches equal to the large orders with rules on and none off"
            if args.csv_rows
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
