"""The tables the benchmark prints: medians over paired trials, every rate beside its reference.

Ratios are computed within each trial (both contenders measured back to back) and then summarised,
so a slow minute on the shared machine moves both sides of a ratio instead of one figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bench.cold import ColdFigures
from bench.imports import ImportFigures


@dataclass(frozen=True)
class Trial:
    """Events per second of one paired run: first delivery and replay, for each contender."""

    tripline: float
    reference: float
    tripline_replay: float
    reference_replay: float


def _spread(values: Sequence[float]) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.2f}"
    return f"{median:.2f} ({min(values):.2f} to {max(values):.2f})"


def report_backend(backend: str, trials: Sequence[Trial]) -> None:
    def median(attribute: str) -> str:
        return f"{statistics.median(getattr(one, attribute) for one in trials):,.0f}"

    ratio = _spread([one.tripline / one.reference for one in trials])
    replay_ratio = _spread([one.tripline_replay / one.reference_replay for one in trials])
    print(
        f"| {backend} | {median('tripline')} | {median('reference')} | {ratio} "
        f"| {median('tripline_replay')} | {median('reference_replay')} | {replay_ratio} |"
    )


def report_cold(colds: dict[str, ColdFigures]) -> None:
    print(
        "\n| cold start: import + first batch | Tripline | reference | ratio "
        "| Tripline, no .pyc | reference, no .pyc | ratio |\n|---|---|---|---|---|---|---|"
    )
    for backend, cold in colds.items():
        print(
            f"| {backend} | {cold.tripline * 1000:.0f} ms | {cold.reference * 1000:.0f} ms "
            f"| {cold.tripline / cold.reference:.1f} | {cold.tripline_no_pyc * 1000:.0f} ms "
            f"| {cold.reference_no_pyc * 1000:.0f} ms "
            f"| {cold.tripline_no_pyc / cold.reference_no_pyc:.1f} |"
        )


def report_imports(figures: ImportFigures) -> None:
    print("\n| import | median | reference | median | ratio |\n|---|---|---|---|---|")
    print(
        f"| `-X importtime` `import app` | {figures.app_us / 1000:.0f} ms | `import chalice` "
        f"| {figures.chalice_us / 1000:.0f} ms | {figures.app_us / figures.chalice_us:.2f} |"
    )
    print(
        f"| wall `python -c 'import app'` | {figures.app_wall_s * 1000:.0f} ms "
        f"| `python -c pass` | {figures.bare_wall_s * 1000:.0f} ms "
        f"| {figures.app_wall_s / figures.bare_wall_s:.2f} |"
    )
