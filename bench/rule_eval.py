"""Rule evaluations per second of the expression compiler, as a ratio of hand-written lambdas.

Run from the repository root: ``.venv/bin/python -m bench.rule_eval --help``. Ten mixed rules are
evaluated on generated events in the same run: compiled by ``chalicelib.domain.expressions.compiler``,
written by hand as Python lambdas (RE2 for ``matches``, the reference; and again with ``re``),
and interpreted by ``simpleeval`` (pre-parsed, on a subsample, because it is slow). The machine is
shared and noisy, so the sides take turns slice by slice of the events, the order reversed every
slice, and the ratio to the lambdas within each repeat is the figure that counts. Before any
timing every side must give the lambdas' answer on every event for every rule, or the run fails.
The parts: ``rule_eval_workload`` (events, rules, lambdas), ``rule_eval_simpleeval``,
``rule_eval_timing`` (checks and timing), ``rule_eval_imports``, ``rule_eval_report``."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata

from bench.rule_eval_imports import measure_imports
from bench.rule_eval_report import report_imports, report_rates, report_rules
from bench.rule_eval_simpleeval import simpleeval_rule
from bench.rule_eval_timing import compile_times_us, measure, per_rule, verify
from bench.rule_eval_workload import (
    HAND_WITH_RE,
    RULES,
    Evaluate,
    compiled_rules,
    generate_events,
)


def contenders() -> dict[str, list[Evaluate]]:
    return {
        "compiled": compiled_rules(),
        "hand": [hand for _, hand in RULES],
        "hand_re": list(HAND_WITH_RE),
        "simpleeval": [simpleeval_rule(text) for text, _ in RULES],
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.rule_eval", description=__doc__)
    parser.add_argument("--events", type=int, default=200_000, help="generated events")
    parser.add_argument(
        "--simpleeval-events",
        type=int,
        default=20_000,
        help="the first N events, for simpleeval (it is slow)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats, order alternating")
    parser.add_argument(
        "--chunks",
        type=int,
        default=20,
        help="slices of the events; the sides take turns slice by slice",
    )
    parser.add_argument(
        "--compile-rounds", type=int, default=50, help="batches of 20 compilations per rule"
    )
    parser.add_argument("--import-runs", type=int, default=5, help="fresh interpreters per figure")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if (
        min(
            args.events,
            args.simpleeval_events,
            args.repeat,
            args.chunks,
            args.compile_rounds,
            args.import_runs,
        )
        < 1
    ):
        parser.error("every count must be at least 1")
    args.simpleeval_events = min(args.simpleeval_events, args.events)
    args.chunks = min(args.chunks, args.simpleeval_events)
    return args


def versions() -> str:
    return (
        f"Python {platform.python_version()}, simpleeval {metadata.version('simpleeval')}, "
        f"google-re2 {metadata.version('google-re2')}, {os.cpu_count()} CPUs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    events = generate_events(args.events, args.seed)
    subsample = events[: args.simpleeval_events]
    sides = contenders()
    hits = verify(sides, events, subsample)
    gc.collect()
    gc.freeze()  # the events live to the end: collections during timing need not walk them
    print(
        f"{args.events:,} events ({args.simpleeval_events:,} for simpleeval), {len(RULES)} "
        f"rules: every answer agrees",
        file=sys.stderr,
    )
    trials = measure(sides, events, subsample, args.repeat, args.chunks, sum(hits))
    alone = per_rule(sides, events, args.repeat, args.chunks)
    compiles = compile_times_us(args.compile_rounds)
    print(f"{versions()}; {args.repeat} repeats of {args.chunks} interleaved chunks, medians")
    report_rates(trials, args.events, args.simpleeval_events)
    report_rules(hits, args.events, alone, compiles)
    report_imports(measure_imports(args.import_runs))
    print(
        f"\nchecked: before timing, the compiled rules and the `re` lambdas gave the RE2 "
        f"lambdas' very bool on {args.events:,} events for every rule, simpleeval the same "
        f"truth on {args.simpleeval_events:,}; every timed pass counted the lambdas' "
        f"{sum(hits):,} hits, no evaluation failed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
