"""The printed tables of ``bench.rules_overhead``: medians of rates, ratios within each trial.

A ratio is taken between two sides of one trial (measured minutes apart on the same server), then
summarised as the median and range over trials, so a slow minute on the shared machine moves both
sides of a ratio rather than one figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

Rates = dict[str, tuple[float, float]]  # side: (first delivery ev/s, replay ev/s)


def _ratio(trials: Sequence[Rates], top: str, bottom: str, at: int) -> str:
    values = [one[top][at] / one[bottom][at] for one in trials]
    median = f"{statistics.median(values):.2f}"
    return median if len(values) == 1 else f"{median} ({min(values):.2f} to {max(values):.2f})"


def _rate(trials: Sequence[Rates], side: str) -> str:
    return f"{statistics.median(one[side][0] for one in trials):,.0f}"


def report(results: dict[str, list[Rates]], counts: dict[str, dict[str, int]]) -> None:
    with_none = all("none" in trial for trials in results.values() for trial in trials)
    extra = " no sources ev/s |" if with_none else ""
    print(
        f"\n| backend | rules on ev/s | rules off ev/s |{extra} **on/off** |"
        f"{' off/no sources |' if with_none else ''} replay on/off |"
    )
    print("|---" * (5 + 2 * with_none) + "|")
    for backend, trials in results.items():
        cells = [backend] + [_rate(trials, side) for side in ("on", "off", "none")[: 2 + with_none]]
        cells.append(f"**{_ratio(trials, 'on', 'off', 0)}**")
        cells += [_ratio(trials, "off", "none", 0)] if with_none else []
        cells.append(_ratio(trials, "on", "off", 1))
        print("| " + " | ".join(cells) + " |")
    rows = sorted({key for found in counts.values() for key in found})
    print(
        "\n| rows recorded with rules on (first delivery) | "
        + " | ".join(counts)
        + " |\n|---"
        + "|---" * len(counts)
        + "|"
    )
    for key in rows:
        print(
            f"| {key} | " + " | ".join(f"{found.get(key, 0):,}" for found in counts.values()) + " |"
        )
    print(
        f"\nWith rules off{' and with no sources' if with_none else ''}, every rule table "
        "stayed empty (checked)."
    )
