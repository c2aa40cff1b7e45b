"""The checks and the timing of ``bench.rule_eval``: every side must agree with the lambdas before
anything is timed, then the sides take turns slice by slice of the events."""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from bench.rule_eval_workload import (
    FIELD_TYPES,
    NOW,
    RULES,
    BenchmarkError,
    Evaluate,
    Fields,
)
from chalicelib.domain.expressions import EVALUATION_ERRORS, compile_expression

SIDES = ("compiled", "hand", "hand_re", "simpleeval")
REFERENCE = "hand"


def verify(
    sides: dict[str, list[Evaluate]], events: Sequence[Fields], subsample: Sequence[Fields]
) -> list[int]:
    """Every side's answer is the lambdas' on every event it runs on; the lambdas' hit counts."""
    hits = []
    for index, (text, hand) in enumerate(RULES):
        answers = [hand(fields, NOW) for fields in events]
        if any(type(answer) is not bool for answer in answers):
            raise BenchmarkError(f"the lambda for {text!r} answered something other than a bool")
        expected = cast(list[bool], answers)
        for side in ("compiled", "hand_re"):
            _agree(text, side, sides[side][index], events, expected, exact=True)
        _agree(
            text,
            "simpleeval",
            sides["simpleeval"][index],
            subsample,
            expected[: len(subsample)],
            exact=False,
        )
        hits.append(sum(expected))
    return hits


def _agree(
    text: str,
    side: str,
    evaluate: Evaluate,
    events: Sequence[Fields],
    expected: Sequence[bool],
    exact: bool,
) -> None:
    """``exact``: the same bool; else the same truth (simpleeval's ``and`` returns operands)."""
    for position, (fields, wanted) in enumerate(zip(events, expected, strict=True)):
        answer = evaluate(fields, NOW)
        same = (type(answer) is bool and answer == wanted) if exact else bool(answer) == wanted
        if not same:
            raise BenchmarkError(
                f"{side} says {answer!r}, the lambda {wanted!r}, for {text!r} "
                f"on event #{position}: {fields}"
            )


def run_rules(
    rules: Sequence[Evaluate], events: Sequence[Fields], now: datetime
) -> tuple[float, int]:
    """Seconds to run every rule on every event the way ``RuleEngine.evaluate`` does, and hits."""
    hits = failures = 0
    start = time.perf_counter()
    for fields in events:
        for evaluate in rules:
            try:
                if evaluate(fields, now):
                    hits += 1
            except EVALUATION_ERRORS:
                failures += 1
    elapsed = time.perf_counter() - start
    if failures:
        raise BenchmarkError(f"{failures} evaluation(s) failed")
    return elapsed, hits


@dataclass(frozen=True)
class Entry:
    """A contender of one interleaved pass: its rules and the events it runs on, in chunks."""

    rules: Sequence[Evaluate]
    chunks: Sequence[Sequence[Fields]]


@dataclass(frozen=True)
class Pass:
    """What one contender did in a pass: evaluations, seconds, rule hits."""

    evaluations: int
    seconds: float
    hits: int

    @property
    def rate(self) -> float:
        return self.evaluations / self.seconds


def interleaved(entries: dict[str, Entry], flip: bool) -> dict[str, Pass]:
    """Every contender on every chunk, chunk by chunk, the order reversed from one chunk to the
    next (and the first chunk's order reversed when ``flip``): the machine's slow seconds fall on
    every contender alike instead of on whichever ran during them."""
    totals = {name: Pass(0, 0.0, 0) for name in entries}
    names = list(entries)
    for index in range(len(entries[names[0]].chunks)):
        for name in names if (index % 2 == 0) != flip else names[::-1]:
            entry, so_far = entries[name], totals[name]
            seconds, hits = run_rules(entry.rules, entry.chunks[index], NOW)
            totals[name] = Pass(
                so_far.evaluations + len(entry.rules) * len(entry.chunks[index]),
                so_far.seconds + seconds,
                so_far.hits + hits,
            )
    return totals


def split(events: Sequence[Fields], count: int) -> list[Sequence[Fields]]:
    """``count`` slices of (nearly) equal length, in order."""
    return [
        events[len(events) * index // count : len(events) * (index + 1) // count]
        for index in range(count)
    ]


@dataclass(frozen=True)
class Trial:
    """Evaluations per second of each side in one interleaved pass."""

    rates: dict[str, float]

    def ratio(self, side: str, reference: str = REFERENCE) -> float:
        return self.rates[side] / self.rates[reference]


def measure(
    sides: dict[str, list[Evaluate]],
    events: Sequence[Fields],
    subsample: Sequence[Fields],
    repeat: int,
    chunks: int,
    hits: int,
) -> list[Trial]:
    entries = {
        side: Entry(sides[side], split(subsample if side == "simpleeval" else events, chunks))
        for side in SIDES
    }
    trials = []
    for index in range(repeat):
        passes = interleaved(entries, flip=index % 2 == 1)
        for side, done in passes.items():
            if side != "simpleeval" and done.hits != hits:
                raise BenchmarkError(f"{side} counted {done.hits} hits, the lambdas {hits}")
        trials.append(Trial({side: done.rate for side, done in passes.items()}))
        print(
            f"  #{index + 1}: "
            + ", ".join(f"{side} {done.rate / 1e6:.2f} M/s" for side, done in passes.items()),
            file=sys.stderr,
        )
    return trials


def per_rule(
    sides: dict[str, list[Evaluate]], events: Sequence[Fields], repeat: int, chunks: int
) -> tuple[list[dict[str, float]], float]:
    """Nanoseconds per evaluation of each rule alone (compiled, hand-written, and with ``re``
    where that lambda differs), and of a no-op lambda: the loop's own share of every figure."""
    parts = split(events, chunks)
    figures = []
    for index in range(len(RULES)):
        names = ["compiled", "hand"]
        if sides["hand_re"][index] is not sides["hand"][index]:
            names.append("hand_re")
        figures.append(_alone({name: sides[name][index] for name in names}, parts, repeat))
    baseline = _alone({"no-op": lambda e, now: False}, parts, repeat)["no-op"]
    return figures, baseline


def _alone(
    evaluators: dict[str, Evaluate], parts: Sequence[Sequence[Fields]], repeat: int
) -> dict[str, float]:
    """Median over repeats of the nanoseconds per evaluation of each evaluator on its own."""
    samples: dict[str, list[float]] = {name: [] for name in evaluators}
    entries = {name: Entry([evaluate], parts) for name, evaluate in evaluators.items()}
    for turn in range(repeat):
        for name, done in interleaved(entries, flip=turn % 2 == 1).items():
            samples[name].append(done.seconds / done.evaluations * 1e9)
    return {name: statistics.median(values) for name, values in samples.items()}


def compile_times_us(rounds: int) -> list[tuple[float, float, float]]:
    """Per rule, µs for ``compile_expression``, Python's ``compile`` of the same text, and
    simpleeval's ``parse``: each the median of ``rounds`` batches of 20 compilations."""
    from simpleeval import SimpleEval

    def per_call(action: Callable[[], object]) -> float:
        batches = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(20):
                action()
            batches.append((time.perf_counter() - start) / 20 * 1e6)
        return statistics.median(batches)

    return [
        (
            per_call(functools.partial(compile_expression, text, FIELD_TYPES)),
            per_call(functools.partial(compile, text, "<rule>", "eval")),
            per_call(functools.partial(SimpleEval.parse, text)),
        )
        for text, _ in RULES
    ]
