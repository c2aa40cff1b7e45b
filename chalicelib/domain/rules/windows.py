"""Sliding windows of threshold rules over bucketed state: which windows a batch changed, which
of them now cross, and how long buckets must be kept.

A window ends at a bucket and spans the ``within / period`` buckets up to and including it, so
its edges are exact to the rule's period (:mod:`~chalicelib.domain.rules.buckets`). Windows end
only at buckets that hold entries, as they used to end only at entries. A bucket ``b`` belongs to
every window ending in ``[b, b + within)``: those are the windows fresh entries in ``b`` can change,
whether they arrived in order or late. Deciding them here, on buckets the caller has read, keeps
the rule's meaning in one place: the database path and the dry-run give the same answer on the
same entries.

A window that crosses is reported against the latest entry of the bucket that ends it, keyed
``window:<source>:<event_id>`` like before, so recording it is idempotent. Entries of one bucket
are one window end: when they arrive in one batch, the window is reported once, against the
latest of them; when they arrive in several, each batch that finds it crossing reports it against
the bucket's latest entry so far (as per-event windows reported each entry). A late entry that
changes a window already reported under the same key revises that report's ``observed``
(:mod:`chalicelib.services.verdicts`); a crossing once recorded is never taken back.
"""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.rules.buckets import (
    GroupKey,
    WindowBucket,
    WindowEntry,
    aggregate,
    bucket_of,
)
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

# How far back an entry may still arrive and find its window whole: as long as the queues keep
# a message (14 days, ``MessageRetentionPeriod`` in infra/template.yaml), so a message redriven
# from a dead-letter queue on its last day still counts in complete windows.
KEEP_FOR_LATE_ENTRIES = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Crossing:
    """The window ending at ``end``'s bucket satisfies the threshold; ``observed`` is its
    aggregate, ``size`` how many entries it holds."""

    end: WindowEntry
    observed: float
    size: int


@dataclass(frozen=True, slots=True)
class BucketRead:
    """Stored buckets to read: one rule state's ``fingerprints``, buckets starting in
    ``[low, high)``, with their tokens when ``tokens`` (a distinct rule)."""

    rule_id: str
    state_version: str
    fingerprints: tuple[str, ...]
    low: datetime
    high: datetime
    tokens: bool = False


def read_spans(threshold: Threshold, fresh: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """The buckets to read to decide the windows that buckets ``fresh`` changed, as half-open
    ``[low, high)`` spans of starts, overlapping ones merged: each fresh bucket's later windows
    reach ``within`` forward, and each of them ``within`` back."""
    reach = threshold.within - threshold.period
    spans: list[tuple[datetime, datetime]] = []
    for start in sorted(fresh):
        low, high = start - reach, start + reach + threshold.period
        if spans and low <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], high))
        else:
            spans.append((low, high))
    return spans


def bucket_reads(
    thresholds: Mapping[tuple[str, str], Threshold],
    fresh: Mapping[GroupKey, Iterable[datetime]],
) -> list[BucketRead]:
    """Every rule state's reads for a batch: the spans of all its groups, overlapping ones read
    together (one range of starts for many groups is one index range each; a batch whose
    groups lie hours apart reads two short ranges, not everything between)."""
    by_state: dict[tuple[str, str], list[tuple[datetime, datetime, str]]] = {}
    for (rule_id, version, print_), starts in fresh.items():
        by_state.setdefault((rule_id, version), []).extend(
            (low, high, print_) for low, high in read_spans(thresholds[(rule_id, version)], starts)
        )
    reads: list[BucketRead] = []
    for (rule_id, version), spans in sorted(by_state.items()):
        tokens = thresholds[(rule_id, version)].aggregate == "distinct"
        spans.sort()
        low, high, prints = spans[0][0], spans[0][1], {spans[0][2]}
        for one_low, one_high, print_ in spans[1:]:
            if one_low >= high:
                reads.append(BucketRead(rule_id, version, tuple(sorted(prints)), low, high, tokens))
                low, high, prints = one_low, one_high, set()
            high = max(high, one_high)
            prints.add(print_)
        reads.append(BucketRead(rule_id, version, tuple(sorted(prints)), low, high, tokens))
    return reads


def crossings(
    threshold: Threshold, stored: Mapping[datetime, WindowBucket], fresh: Iterable[datetime]
) -> list[Crossing]:
    """The windows changed by fresh entries in buckets ``fresh`` that now satisfy the threshold.

    ``stored`` holds one group's buckets by start (fresh entries included) covering
    :func:`read_spans`. Each window end is reported once, however many fresh buckets changed it.
    """
    reach = threshold.within - threshold.period
    starts = sorted(stored)
    ends: set[int] = set()
    for start in fresh:
        ends.update(range(bisect_left(starts, start), bisect_right(starts, start + reach)))
    found = []
    compare = COMPARE[threshold.comparator]
    for end in sorted(ends):
        window = [stored[one] for one in starts[bisect_left(starts, starts[end] - reach) : end + 1]]
        observed = aggregate(threshold.aggregate, window)
        if observed is not None and compare(observed, threshold.value):
            size = sum(one.count for one in window)
            found.append(Crossing(stored[starts[end]].latest, observed, size))
    return found


def window_at(threshold: Threshold, moment: datetime) -> tuple[datetime, datetime]:
    """The starts ``[low, high)`` of the buckets of the window ending in ``moment``'s bucket."""
    end = bucket_of(moment, threshold.period)
    return end - (threshold.within - threshold.period), end + threshold.period


def prune_before(rules: Iterable[Rule], now: datetime) -> datetime:
    """Buckets starting before this can go: no window ending now needs them, and neither does an
    entry arriving up to :data:`KEEP_FOR_LATE_ENTRIES` late (its window reaches ``within`` back).
    One horizon for every rule, the longest window's, so buckets of a rule whose state version
    a deploy is changing right now are kept as long as any."""
    longest = max(
        (rule.threshold.within for rule in rules if rule.threshold is not None),
        default=timedelta(0),
    )
    return now - KEEP_FOR_LATE_ENTRIES - longest


def threshold_match(
    rule: Rule, fingerprint: str, group: GroupValues, crossing: Crossing
) -> RuleMatch:
    """A crossing as the rule's match, keyed by the entry that ends the window
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
