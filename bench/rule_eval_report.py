"""The tables ``bench.rule_eval`` prints (Markdown, as ``bench/README.md`` shows them)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from bench.rule_eval_imports import ENGINE_MODULES, ImportFigures
from bench.rule_eval_timing import SIDES, Trial
from bench.rule_eval_workload import RULES

LABELS = {
    "compiled": "Tripline, `compile_expression(...).evaluate`",
    "hand": "hand-written lambdas, RE2 for `matches` (**reference**)",
    "hand_re": "hand-written lambdas, `re` for `matches`",
    "simpleeval": "simpleeval, pre-parsed",
}


def _spread(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f} to {max(values):.2f})"


def report_rates(trials: Sequence[Trial], events: int, subsample: int) -> None:
    print(
        "\n| side | events | evaluations/s | ratio to hand (RE2) | ratio to hand (`re`) |"
        "\n|---|---|---|---|---|"
    )
    for side in SIDES:
        rate = statistics.median(trial.rates[side] for trial in trials)
        sample = subsample if side == "simpleeval" else events
        print(
            f"| {LABELS[side]} | {sample:,} | {rate / 1e6:.2f} M "
            f"| {_spread([trial.ratio(side) for trial in trials])} "
            f"| {_spread([trial.ratio(side, 'hand_re') for trial in trials])} |"
        )


def report_rules(
    hits: Sequence[int],
    events: int,
    alone: tuple[list[dict[str, float]], float],
    compiles: Sequence[tuple[float, float, float]],
) -> None:
    figures, baseline = alone
    print(
        "\n| rule | true on | compiled ns | hand ns | ratio | compile µs "
        "| Python `compile()` µs | simpleeval parse µs |\n|---|---|---|---|---|---|---|---|"
    )
    for (text, _), hit, ns, (compiled, python, parsed) in zip(
        RULES, hits, figures, compiles, strict=True
    ):
        hand = f"{ns['hand']:.0f}" + (f" (`re`: {ns['hand_re']:.0f})" if "hand_re" in ns else "")
        print(
            f"| `{text}` | {hit / events:.1%} | {ns['compiled']:.0f} | {hand} "
            f"| {ns['hand'] / ns['compiled']:.2f} | {compiled:.0f} | {python:.0f} "
            f"| {parsed:.0f} |"
        )
    ours = [figure[0] for figure in compiles]
    print(
        f"\nEvery ns figure includes the loop and call: a no-op lambda costs {baseline:.0f} ns."
        f"\ncompile_expression per rule: mean {statistics.mean(ours):.0f} µs, "
        f"max {max(ours):.0f} µs"
    )


def report_imports(figures: ImportFigures) -> None:
    print("\n| import (median, `.pyc` present) | `-X importtime` cumulative |\n|---|---|")
    for module, value in figures.cumulative_us.items():
        shown = f"{value / 1000:.1f} ms" if isinstance(value, float | int) else f"fails: {value}"
        print(f"| `{module}` | {shown} |")
    print(
        f"| of which Tripline's own modules (self) | {figures.own_self_us / 1000:.1f} ms |"
        f"\n| of which `re2` | {figures.re2_us / 1000:.1f} ms |"
    )
    print(
        f"\nwall `python -c 'import {ENGINE_MODULES[0]}'` {figures.engine_wall_s * 1000:.0f} ms,"
        f" `python -c pass` {figures.bare_wall_s * 1000:.0f} ms, ratio "
        f"{figures.engine_wall_s / figures.bare_wall_s:.2f}"
    )
