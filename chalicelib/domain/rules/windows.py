"""Sliding windows of threshold rules: which windows a new entry changed, and which now cross.

A window ends at an entry and reaches back ``within`` from it: ``(end - within, end]``. An entry at
``t`` belongs to every window ending in ``[t, t + within)``, so those are the windows a fresh entry
can change, whether it arrived in order or late. Deciding them here, on entries the caller has
read, keeps the rule's meaning in one place: the database path and the dry-run give the same
answer on the same entries.

A window that crosses is reported against the entry that ends it, so recording the crossing is
keyed by that event and a replay, or a second late entry in the same window, adds nothing.
"""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.rules.model import Rule, Threshold
from chalicelib.domain.rules.verdicts import GroupValues, RuleMatch

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class WindowEntry:
    """One event counted by one rule in one group; entries sort by time, then by event."""

    occurred_at: datetime
    source: str
    event_id: str
    number: float | None = None
    token: str | None = None

    @property
    def order(self) -> tuple[datetime, str, str]:
        return (self.occurred_at, self.source, self.event_id)


@dataclass(frozen=True, slots=True)
class Crossing:
    """The window ending at ``end`` satisfies the threshold; ``observed`` is its aggregate."""

    end: WindowEntry
    observed: float
    size: int


def affected_spans(
    threshold: Threshold, fresh: Sequence[datetime]
) -> list[tuple[datetime, datetime]]:
    """The entries a caller must read to decide the windows ``fresh`` entries changed: those in
    ``(t - within, t + within)`` around each, overlapping spans merged. A batch whose events lie
    hours apart reads two short spans, not everything between them."""
    spans: list[tuple[datetime, datetime]] = []
    for moment in sorted(fresh):
        low, high = moment - threshold.within, moment + threshold.within
        if spans and low < spans[-1][1]:
            spans[-1] = (spans[-1][0], high)
        else:
            spans.append((low, high))
    return spans


def crossings(
    threshold: Threshold, entries: Sequence[WindowEntry], fresh: Sequence[datetime]
) -> list[Crossing]:
    """The windows changed by entries at times ``fresh`` that now satisfy the threshold.

    ``entries`` are one group's entries covering :func:`affected_spans`, fresh ones included, in
    any order. Each window end is reported once, even when several fresh entries changed it.
    """
    ordered = sorted(entries, key=lambda entry: entry.order)
    times = [entry.occurred_at for entry in ordered]
    ends: set[int] = set()
    for moment in fresh:
        first = bisect_left(times, moment)
        last = bisect_left(times, moment + threshold.within)
        ends.update(range(first, last))
    found = []
    for end in sorted(ends):
        start = bisect_right(times, times[end] - threshold.within)
        stop = bisect_right(times, times[end])  # entries at the same instant are all in
        observed = aggregate(threshold.aggregate, ordered[start:stop])
        if observed is not None and COMPARE[threshold.comparator](observed, threshold.value):
            found.append(Crossing(ordered[end], observed, stop - start))
    return found


def aggregate(name: str, window: Sequence[WindowEntry]) -> float | None:
    """The window's aggregate; None when there is nothing to aggregate (no numbers for avg)."""
    if name == "count":
        return float(len(window))
    if name == "distinct":
        return float(len({entry.token for entry in window if entry.token is not None}))
    numbers = [entry.number for entry in window if entry.number is not None]
    if not numbers:
        return 0.0 if name == "sum" else None
    if name == "sum":
        return float(sum(numbers))
    if name == "avg":
        return sum(numbers) / len(numbers)
    return float(min(numbers) if name == "min" else max(numbers))


def threshold_match(
    rule: Rule, fingerprint: str, group: GroupValues, crossing: Crossing
) -> RuleMatch:
    """A crossing as the rule's match, keyed by the event that ends the window
    (``window:<source>:<id>``), so the pipeline and a dry-run key it alike."""
    end = crossing.end
    return RuleMatch(
        rule.id,
        rule.version,
        "threshold",
        f"window:{end.source}:{end.event_id}",
        fingerprint,
        group,
        end.occurred_at,
        end.source,
        end.event_id,
        crossing.observed,
    )
