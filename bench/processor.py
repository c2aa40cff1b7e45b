"""Events per second through the real processor handler, as a ratio of a hand-written one.

Run from the repository root: ``.venv/bin/python -m bench.processor --help``. The machine is shared
and noisy, so no figure stands alone: each Tripline pass is paired, in the same run and on the same
database server, with the reference handler of ``bench/reference.py``, and the ratio is what counts.
The order of the pair alternates between repeats so that drift in the machine's load cancels out.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cold import measure_cold
from bench.databases import (
    BACKENDS,
    BenchmarkError,
    Database,
    fresh_database,
    verify_counts,
    verify_same_rows,
)
from bench.imports import measure_imports
from bench.report import Trial, report_backend, report_cold, report_imports
from bench.round_trips import counted_round_trips
from bench.workload import RULES_DIR, rules_off_copy, sqs_batches

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
ENVIRONMENT = {
    "POWERTOOLS_METRICS_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    # no alerts topic: a publish fails at once and is retried later (the outbox's bookkeeping is
    # measured, SNS is not); no pacing, whose waits are SNS's email rate, not this code's cost
    "TRIPLINE_NOTIFY_PER_SECOND": "100000",
    # the rules the workload's events are built for (bench.rules_overhead sets its own per side)
    "TRIPLINE_RULES_DIR": str(RULES_DIR),
}


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object that handlers read."""

    function_name: str = "tripline-bench-process_events"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench"


def deliver(handler: Handler, batches: Sequence[dict[str, Any]]) -> float:
    """Seconds to hand every batch to ``handler`` as Lambda does; any reported failure is fatal.

    Standard output is captured as Lambda's runtime captures it (not a terminal, whose speed
    would be measured too); lines a handler prints are counted and reported, never hidden.
    """
    context = LambdaContext()
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        start = time.perf_counter()
        for event in batches:
            if handler(event, context)["batchItemFailures"]:
                raise BenchmarkError("the handler reported failed records; see its log")
        elapsed = time.perf_counter() - start
    if lines := printed.getvalue().splitlines():
        print(
            f"  note: {len(lines)} line(s) printed to stdout, the first: {lines[0][:70]}…",
            file=sys.stderr,
        )
    return elapsed


@contextmanager
def tripline_handler(database: Database) -> Iterator[Handler]:
    """``app.process_events`` (what Lambda calls) in a fresh container pointed at ``database``."""
    import app
    from chalicelib import bootstrap

    os.environ["DATABASE_URL"] = database.url
    bootstrap.reset()
    try:
        yield app.process_events
    finally:
        bootstrap.reset()


@contextmanager
def reference_handler(database: Database) -> Iterator[Handler]:
    handler = database.reference_handler()
    try:
        yield handler
    finally:
        handler.close()


def run_pair_side(
    name: str, database: Database, batches: Sequence[dict[str, Any]], count: int
) -> tuple[float, float]:
    """First delivery then replay of every batch by one contender, checked after each: events/s."""
    opener = tripline_handler if name == "tripline" else reference_handler
    with opener(database) as handler:
        first = deliver(handler, batches)
        verify_counts(database, count, f"{name} first delivery")
        replay = deliver(handler, batches)
        verify_counts(database, count, f"{name} replay")
    return count / first, count / replay


def measure_trial(
    backend: str,
    batches: Sequence[dict[str, Any]],
    count: int,
    reference_first: bool,
    workdir: Path,
) -> Trial:
    with (
        fresh_database(backend, "tripline", workdir) as ours,
        fresh_database(backend, "reference", workdir) as theirs,
    ):
        order = [("reference", theirs), ("tripline", ours)]
        rates = {
            name: run_pair_side(name, db, batches, count)
            for name, db in (order if reference_first else order[::-1])
        }
        verify_same_rows(ours, theirs)
    return Trial(
        rates["tripline"][0], rates["reference"][0], rates["tripline"][1], rates["reference"][1]
    )


def measure_backend(
    backend: str, batches: Sequence[dict[str, Any]], count: int, repeat: int, workdir: Path
) -> list[Trial]:
    trials = []
    for index in range(repeat):
        trial = measure_trial(backend, batches, count, index % 2 == 0, workdir)
        print(
            f"  {backend} #{index + 1}: Tripline {trial.tripline:,.0f}/s, reference "
            f"{trial.reference:,.0f}/s, replay {trial.tripline_replay:,.0f}/s vs "
            f"{trial.reference_replay:,.0f}/s",
            file=sys.stderr,
        )
        trials.append(trial)
    return trials


def profile_once(backend: str, batches: Sequence[dict[str, Any]], top: int, workdir: Path) -> None:
    """One first delivery under cProfile: where a batch's time goes (rates here are not figures)."""
    with (
        fresh_database(backend, "profile", workdir) as database,
        tripline_handler(database) as handler,
    ):
        profiler = cProfile.Profile()
        profiler.runcall(deliver, handler, batches)
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    print(f"\n## cProfile, Tripline first delivery on {backend}\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def round_trips_per_batch(batches: Sequence[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """On MariaDB, first delivery of up to 100 batches (after one to warm the connection up):
    round trips per batch for each contender, and what Tripline's were."""
    counted = batches[1:101]
    found: dict[str, Any] = {}
    for name, opener in (("tripline", tripline_handler), ("reference", reference_handler)):
        with (
            fresh_database("mysql", f"trips_{name}", workdir) as database,
            opener(database) as handler,
        ):
            deliver(handler, batches[:1])
            with counted_round_trips() as sent:
                deliver(handler, counted)
        found[name] = len(sent) / len(counted)
        if name == "tripline":
            found["kinds"] = {word: sent.count(word) / len(counted) for word in sorted(set(sent))}
    return found


def report_round_trips(trips: dict[str, Any], batch_size: int) -> None:
    kinds = ", ".join(f"{word} {per:.2f}" for word, per in trips["kinds"].items())
    print(
        f"\n| round trips per batch of {batch_size}, MariaDB, first delivery | Tripline "
        f"| reference |\n|---|---|---|\n| all | {trips['tripline']:.2f} | "
        f"{trips['reference']:.2f} |\n\nTripline's, per batch: {kinds}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.processor", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per pass")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="paired trials per backend")
    parser.add_argument(
        "--import-runs",
        type=int,
        default=5,
        help="fresh interpreters per import and cold-start figure",
    )
    parser.add_argument(
        "--batch-size", type=int, default=10, help="records per SQS event (10, or up to 100)"
    )
    parser.add_argument(
        "--rules",
        choices=("on", "off"),
        default="on",
        help="the sample rules (on), or only the sample sources and reference tables (off)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile one Tripline pass")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    args = parser.parse_args(argv)
    if args.events < 1 or args.repeat < 1 or args.import_runs < 1:
        parser.error("--events, --repeat and --import-runs must be at least 1")
    if not 1 <= args.batch_size <= 10_000:
        parser.error("--batch-size must be between 1 and 10,000 (SQS's largest batch)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(ENVIRONMENT)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    batches = sqs_batches(args.events, args.batch_size)
    print(
        f"{args.events:,} events in {len(batches):,} SQS events of up to {args.batch_size} "
        f"records, rules {args.rules}, {args.repeat} paired trial(s) per backend",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="tripline-bench-") as tmp:
        if args.rules == "off":
            os.environ["TRIPLINE_RULES_DIR"] = str(rules_off_copy(Path(tmp)))
        results = {
            backend: measure_backend(backend, batches, args.events, args.repeat, Path(tmp))
            for backend in backends
        }
        colds = {
            backend: measure_cold(backend, args.import_runs, Path(tmp)) for backend in backends
        }
        trips = round_trips_per_batch(batches, Path(tmp)) if "mysql" in backends else None
        if args.profile:
            profile_once(backends[0], batches, args.top, Path(tmp))
    print(
        "\n| backend | Tripline ev/s | reference ev/s | ratio | Tripline replay ev/s "
        "| reference replay ev/s | replay ratio |\n|---|---|---|---|---|---|---|"
    )
    for backend, trials in results.items():
        report_backend(backend, trials)
    if trips is not None:
        report_round_trips(trips, args.batch_size)
    report_cold(colds)
    report_imports(measure_imports(args.import_runs))
    print(
        f"\nchecked: after every pass, {args.events:,} events stored once, raw and processed, "
        f"none rejected, no record failed; Tripline's rows equal the reference's field by "
        f"field in every trial and in the cold-start databases ({', '.join(backends)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
