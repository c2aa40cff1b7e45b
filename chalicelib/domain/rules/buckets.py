"""A threshold window's state: aggregates per group and time bucket, not every entry.

Like a CloudWatch period, each threshold rule cuts time into buckets of its ``period``
(:attr:`~chalicelib.domain.rules.model.Threshold.period`), aligned to the Unix epoch, and a window
is a run of whole buckets. So what a window needs of each bucket is a few numbers (how many
entries, how many of them carry a number, their sum, least and greatest) and, for ``distinct``,
the set of tokens: the database keeps one row per rule, group and bucket, and a batch adds to it
instead of storing and re-reading every event.

A bucket also remembers its latest entry (ordered as events are: time, then source, then id), so a
window that crosses can still be reported against an event, keyed like every other match.
Adding up is commutative, so buckets merged in any order (a batch's deltas, the stored row, a row
written by another processor) give the same bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain.rules.verdicts import WindowHit

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GroupKey = tuple[str, str, str]  # rule id, state version, fingerprint


def bucket_of(moment: datetime, period: timedelta) -> datetime:
    """The start of the bucket ``moment`` falls in: buckets start at whole multiples of
    ``period`` since the epoch, so every processor cuts time alike."""
    return EPOCH + period * ((moment - EPOCH) // period)


@dataclass(frozen=True, slots=True)
class WindowEntry:
    """An event counted in a window, by its identity; entries sort by time, then by event."""

    occurred_at: datetime
    source: str
    event_id: str

    @property
    def order(self) -> tuple[datetime, str, str]:
        return (self.occurred_at, self.source, self.event_id)


@dataclass(frozen=True, slots=True)
class WindowBucket:
    """One group's entries in one bucket of one rule, added up.

    ``count`` entries, ``numbers`` of which carry a number (sum, avg, min, max) adding to
    ``total``, the least ``low`` and the greatest ``high``; ``tokens`` the different values a
    ``distinct`` rule counted; ``latest`` the entry a crossing of the window ending here is
    reported against.
    """

    start: datetime
    latest: WindowEntry
    count: int = 1
    numbers: int = 0
    total: float = 0.0
    low: float | None = None
    high: float | None = None
    tokens: frozenset[str] = frozenset()

    def merged(self, other: WindowBucket) -> WindowBucket:
        """Both buckets' entries as one bucket (starting at this one's start)."""
        return WindowBucket(
            self.start,
            self.latest if self.latest.order >= other.latest.order else other.latest,
            self.count + other.count,
            self.numbers + other.numbers,
            self.total + other.total,
            _least(self.low, other.low),
            _greatest(self.high, other.high),
            self.tokens | other.tokens,
        )


def entry_bucket(hit: WindowHit, period: timedelta) -> WindowBucket:
    """What one entry adds to its bucket."""
    number = hit.number
    return WindowBucket(
        bucket_of(hit.occurred_at, period),
        WindowEntry(hit.occurred_at, hit.source, hit.event_id),
        1,
        0 if number is None else 1,
        0.0 if number is None else number,
        number,
        number,
        frozenset() if hit.token is None else frozenset((hit.token,)),
    )


def bucket_deltas(hits: Iterable[WindowHit]) -> dict[GroupKey, dict[datetime, WindowBucket]]:
    """A batch's fresh entries added up per rule state, group and bucket: what the batch adds
    to the stored buckets (each bucket it touches once, however many of its entries it held).

    Each event counts once per rule state even when the batch carries it twice (an SQS batch
    may hold one message twice): a bucket cannot tell, so it is decided here."""
    deltas: dict[GroupKey, dict[datetime, WindowBucket]] = {}
    counted: set[tuple[str, str, str, str]] = set()
    for hit in hits:
        entry = (hit.rule.id, hit.rule.state_version, hit.source, hit.event_id)
        if entry in counted:
            continue
        counted.add(entry)
        threshold = hit.rule.threshold
        assert threshold is not None
        one = entry_bucket(hit, threshold.period)
        group = deltas.setdefault((hit.rule.id, hit.rule.state_version, hit.fingerprint), {})
        known = group.get(one.start)
        group[one.start] = one if known is None else known.merged(one)
    return deltas


def collect(buckets: Iterable[WindowBucket], period: timedelta) -> dict[datetime, WindowBucket]:
    """Stored rows as the rule's buckets, by start. A row may start inside a bucket rather than
    at its edge (rows carried over from per-event entries start at their event's time); it
    belongs to the bucket its start falls in, and rows of one bucket are merged."""
    found: dict[datetime, WindowBucket] = {}
    for row in buckets:
        start = bucket_of(row.start, period)
        if start != row.start:
            row = WindowBucket(
                start,
                row.latest,
                row.count,
                row.numbers,
                row.total,
                row.low,
                row.high,
                row.tokens,
            )
        known = found.get(start)
        found[start] = row if known is None else known.merged(row)
    return found


def aggregate(name: str, window: Iterable[WindowBucket]) -> float | None:
    """The window's aggregate over its buckets; None when there is nothing to aggregate (no
    numbers for avg, min or max). ``distinct`` counts the different tokens across the window's
    buckets, not per bucket: a value seen in two buckets counts once."""
    buckets = list(window)
    if name == "count":
        return float(sum(one.count for one in buckets))
    if name == "distinct":
        return float(len(frozenset().union(*(one.tokens for one in buckets))))
    with_numbers = [one for one in buckets if one.numbers]
    if not with_numbers:
        return 0.0 if name == "sum" else None
    total = sum(one.total for one in with_numbers)
    if name == "sum":
        return float(total)
    if name == "avg":
        return total / sum(one.numbers for one in with_numbers)
    if name == "min":
        return float(min(one.low for one in with_numbers if one.low is not None))
    return float(max(one.high for one in with_numbers if one.high is not None))


def merge_into(
    stored: dict[datetime, WindowBucket], deltas: Mapping[datetime, WindowBucket]
) -> None:
    """Add a batch's deltas to buckets held in memory (the dry-run's state)."""
    for start, delta in deltas.items():
        known = stored.get(start)
        stored[start] = delta if known is None else known.merged(delta)


def _least(one: float | None, other: float | None) -> float | None:
    if one is None:
        return other
    return one if other is None or one <= other else other


def _greatest(one: float | None, other: float | None) -> float | None:
    if one is None:
        return other
    return one if other is None or one >= other else other
