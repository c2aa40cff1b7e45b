"""Carrying out what the rules said about freshly stored events, inside the unit of work that
stores them.

Threshold windows are decided on the buckets stored, not on what this batch happened to carry,
so an event that arrives late lands in the window it belongs to. A batch adds its entries to
their buckets (one upsert), reads every bucket the changed windows need (one query), and decides
those windows. Only events stored for the first time get here (the storing service sees to it),
so a redelivered or replayed event never adds to a bucket twice.

Two processors may add to one group's window at once: each advances (and so locks) the group
rows first, in key order, then writes and reads the buckets; without the lock, two transactions
could each see four of five declined payments and neither would fire.

A window reported before under the same key (a late entry changed a window ending at an older
entry) keeps its match, and the match's ``observed`` is revised to the window's aggregate now,
with its alert's when that match is the alert's sample: arrival order leaves the same values.
A crossing that a late entry undoes (an average that fell, a ``<`` threshold) is not taken back
and its ``observed`` is left as recorded: it did cross on what had arrived, and its alert
resolves by the clock like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.alerts import revise_observed
from chalicelib.domain.rules import (
    GroupKey,
    GroupValues,
    Rule,
    RuleMatch,
    Sighting,
    SightingHit,
    Threshold,
    Verdicts,
    WindowHit,
    bucket_deltas,
    bucket_reads,
    collect,
    crossings,
    threshold_match,
)
from chalicelib.ports import VerdictWork
from chalicelib.services.alerting import record_matches


@dataclass(frozen=True)
class VerdictsRecorded:
    """Matches recorded (threshold crossings included), and the notices their alerts queued."""

    matches: int = 0
    notices: int = 0


def record_verdicts(work: VerdictWork, verdicts: Verdicts, at: datetime) -> VerdictsRecorded:
    """Write ``verdicts`` (of freshly stored events only), decide the windows they changed, and
    open or add to the alerts of the matches that are new."""
    work.advance_groups(_groups_seen([*verdicts.window_hits, *verdicts.sightings]))
    matches = list(verdicts.matches)
    revisable: list[RuleMatch] = []
    if verdicts.window_hits:
        found = _window_matches(work, verdicts.window_hits)
        matches.extend(found)
        fresh = {(hit.source, hit.event_id) for hit in verdicts.window_hits}
        # a window ending at a fresh entry is reported for the first time; others may not be
        revisable = [one for one in found if (one.source, one.event_id) not in fresh]
    work.add_failures(verdicts.failures, at)
    rules = verdicts.rules | {hit.rule.id: hit.rule for hit in verdicts.window_hits}
    recorded = record_matches(work, matches, rules, at)
    _revise(work, revisable, at)
    return VerdictsRecorded(len(matches), recorded.notices)


def _groups_seen(hits: Iterable[WindowHit | SightingHit]) -> dict[tuple[str, str], list[Sighting]]:
    """Each group the hits were heard in, by rule id and state version: since its earliest hit,
    last seen at its latest."""
    seen: dict[tuple[str, str, str], Sighting] = {}
    for hit in hits:
        key = (hit.rule.id, hit.rule.state_version, hit.fingerprint)
        known = seen.get(key)
        if known is None or known.last_seen_at is None:
            seen[key] = Sighting(hit.fingerprint, hit.group, hit.occurred_at, hit.occurred_at)
        else:
            seen[key] = replace(
                known,
                since=min(known.since, hit.occurred_at),
                last_seen_at=max(known.last_seen_at, hit.occurred_at),
            )
    groups: dict[tuple[str, str], list[Sighting]] = {}
    for (rule_id, version, _), sighting in seen.items():
        groups.setdefault((rule_id, version), []).append(sighting)
    return groups


def _window_matches(work: VerdictWork, hits: Sequence[WindowHit]) -> list[RuleMatch]:
    """Add the batch's entries to their buckets, read every bucket the windows they changed
    need, for every rule and group at once (a chunk of a CSV file may touch thousands of
    cards), and report each window that now crosses against its last bucket's latest entry."""
    deltas = bucket_deltas(hits)
    work.add_window_buckets(deltas)
    rules: dict[tuple[str, str], Rule] = {}
    groups: dict[GroupKey, GroupValues] = {}
    for hit in hits:
        rules[(hit.rule.id, hit.rule.state_version)] = hit.rule
        groups[(hit.rule.id, hit.rule.state_version, hit.fingerprint)] = hit.group
    thresholds = {key: _threshold(rule) for key, rule in rules.items()}
    stored = work.window_buckets(bucket_reads(thresholds, deltas))
    found: list[RuleMatch] = []
    for key in sorted(deltas):
        rule, threshold = rules[key[:2]], thresholds[key[:2]]
        buckets = collect(stored.get(key, []), threshold.period)
        found.extend(
            threshold_match(rule, key[2], groups[key], crossing)
            for crossing in crossings(threshold, buckets, deltas[key])
        )
    return found


def _revise(work: VerdictWork, matches: Sequence[RuleMatch], at: datetime) -> None:
    """Recorded crossings whose window a late entry changed: their ``observed``, and their
    alerts' when they are its sample, under the fingerprints' locks."""
    revised = work.revise_observed(matches)
    if not revised:
        return
    by_print: dict[str, list[RuleMatch]] = {}
    for match in revised:
        by_print.setdefault(match.fingerprint, []).append(match)
    work.lock_fingerprints({print_: found[0].rule_id for print_, found in by_print.items()}, at)
    active = work.active_alerts(by_print)
    changes = [
        change
        for print_ in sorted(by_print)
        if (change := revise_observed(active.get(print_), by_print[print_])) is not None
    ]
    work.write_changes(changes, at)


def _threshold(rule: Rule) -> Threshold:
    assert rule.threshold is not None  # only threshold rules give window hits
    return rule.threshold
