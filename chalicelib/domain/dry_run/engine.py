"""A dry-run: what one rule would have done to a run of events, decided in memory.

The rule is judged by the same engine, its windows by the same buckets and :func:`crossings` and
its silences by the same :func:`silences` as in the pipeline; only the state lives in dictionaries
instead of the database, and nothing is written or sent. Events are replayed in the order they
happened, one at a time, and each is judged as of when it arrived (``ago()`` counts back from its
``received_at``): what the live pipeline gives when events arrive in order, each bucket's entries
in batches of their own (entries of one bucket that arrive in one batch are one report, against
the latest; see :mod:`chalicelib.domain.rules.windows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.events import Event
from chalicelib.domain.rules import (
    GroupValues,
    Rule,
    RuleCatalog,
    RuleEngine,
    RuleFailure,
    RuleMatch,
    Sighting,
    Verdicts,
    WindowBucket,
    bucket_deltas,
    crossings,
    expected_groups,
    merge_into,
    silent_groups,
    threshold_match,
)


@dataclass
class Replay:
    """What the rule said over the run: its matches in time order, its failures, and the
    fields of the events behind them (to render a notification from)."""

    rule: Rule
    evaluated: int = 0
    matches: list[RuleMatch] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)
    samples: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def replay(
    rule: Rule, events: Iterable[Event], catalog: RuleCatalog, until: datetime | None
) -> Replay:
    """Judge ``events`` (any order) with ``rule`` alone; silences are checked up to ``until``
    (default: the last event's time)."""
    engine = RuleEngine([rule], catalog)
    ordered = sorted(events, key=lambda event: (event.occurred_at, event.source, event.event_id))
    result = Replay(rule)
    windows: dict[str, dict[datetime, WindowBucket]] = {}
    seen: dict[str, tuple[GroupValues, datetime | None]] = {}
    start = ordered[0].occurred_at if ordered else until
    for print_, group in expected_groups(rule):
        seen[print_] = (group, None)
    keys: set[str] = set()
    for event in ordered:
        if not engine.rules_for(event.source):
            continue
        result.evaluated += 1
        verdicts = Verdicts()
        engine.evaluate(event, event.received_at, verdicts)
        if verdicts.matches or verdicts.window_hits or verdicts.sightings:
            result.samples[event.key] = engine.fields(event)
        result.failures.extend(verdicts.failures)
        found = [*verdicts.matches, *_window_matches(rule, verdicts, windows)]
        found.extend(_silences_before(rule, verdicts, seen, start))
        result.matches.extend(one for one in found if one.match_key not in keys)
        keys.update(one.match_key for one in found)
    if start is not None:
        end = until or (ordered[-1].occurred_at if ordered else start)
        result.matches.extend(_silences_at(rule, seen, start, end))
    result.matches.sort(key=lambda match: match.occurred_at)
    return result


def _window_matches(
    rule: Rule, verdicts: Verdicts, windows: dict[str, dict[datetime, WindowBucket]]
) -> list[RuleMatch]:
    """The event's entry added to its bucket, and the windows it changed that cross. Events come
    in time order, so buckets a whole window before this one are no longer needed."""
    threshold = rule.threshold
    groups = {hit.fingerprint: hit.group for hit in verdicts.window_hits}
    found: list[RuleMatch] = []
    for (_, _, print_), deltas in bucket_deltas(verdicts.window_hits).items():
        assert threshold is not None
        stored = windows.setdefault(print_, {})
        merge_into(stored, deltas)
        oldest = min(deltas) - threshold.within
        for start in [one for one in stored if one <= oldest]:
            del stored[start]
        found.extend(
            threshold_match(rule, print_, groups[print_], crossing)
            for crossing in crossings(threshold, stored, deltas)
        )
    return found


def _silences_before(
    rule: Rule,
    verdicts: Verdicts,
    seen: dict[str, tuple[GroupValues, datetime | None]],
    start: datetime | None,
) -> list[RuleMatch]:
    """A sighting ends a silence: report it if it lasted ``within``, then restart the clock."""
    found = []
    for hit in verdicts.sightings:
        group, last = seen.get(hit.fingerprint, (hit.group, None))
        if last is not None or hit.fingerprint in seen:
            sighting = Sighting(hit.fingerprint, group, start or hit.occurred_at, last)
            found.extend(silent_groups(rule, [sighting], hit.occurred_at))
        if last is None or hit.occurred_at > last:
            seen[hit.fingerprint] = (hit.group, hit.occurred_at)
    return found


def _silences_at(
    rule: Rule,
    seen: Mapping[str, tuple[GroupValues, datetime | None]],
    start: datetime,
    end: datetime,
) -> list[RuleMatch]:
    return silent_groups(
        rule, [Sighting(print_, group, start, last) for print_, (group, last) in seen.items()], end
    )
