"""Carrying out what the rules said about freshly stored events, inside the unit of work that
stores them.

Threshold windows are decided on the entries stored, not on what this batch happened to carry,
so an event that arrives late lands in the window it belongs to. Two processors may add to one
group's window at once: each advances (and so locks) the group rows first, in key order, then
reads the windows; without the lock, two transactions could each see four of five declined
payments and neither would fire.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.rules import (
    Rule,
    RuleMatch,
    Sighting,
    SightingHit,
    Verdicts,
    WindowHit,
    affected_spans,
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
    if verdicts.window_hits:
        work.add_window_entries(verdicts.window_hits)
        matches.extend(_window_matches(work, verdicts.window_hits))
    work.add_failures(verdicts.failures, at)
    rules = verdicts.rules | {hit.rule.id: hit.rule for hit in verdicts.window_hits}
    return VerdictsRecorded(len(matches), record_matches(work, matches, rules, at).notices)


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


def _window_matches(work: VerdictWork, hits: Iterable[WindowHit]) -> list[RuleMatch]:
    """Each rule's windows read at once for all its groups in the batch (a chunk of a CSV file
    may touch thousands of cards), then decided group by group."""
    by_rule: dict[tuple[str, str], dict[str, list[WindowHit]]] = {}
    for hit in hits:
        rule_key = (hit.rule.id, hit.rule.state_version)
        by_rule.setdefault(rule_key, {}).setdefault(hit.fingerprint, []).append(hit)
    found = []
    for (rule_id, version), groups in sorted(by_rule.items()):
        rule = next(iter(groups.values()))[0].rule
        found.extend(_crossings(work, rule, rule_id, version, groups))
    return found


def _crossings(
    work: VerdictWork, rule: Rule, rule_id: str, version: str, groups: dict[str, list[WindowHit]]
) -> list[RuleMatch]:
    """The stored entries each group's fresh entries need (its own spans around them), and the
    windows that now cross, each reported against the event that ends it."""
    threshold = rule.threshold
    assert threshold is not None
    spans = [
        (print_, low, high)
        for print_ in sorted(groups)
        for low, high in affected_spans(threshold, [hit.occurred_at for hit in groups[print_]])
    ]
    entries = work.window_entries(rule_id, version, spans)
    found: list[RuleMatch] = []
    for print_, fresh in sorted(groups.items()):
        times = [hit.occurred_at for hit in fresh]
        found.extend(
            threshold_match(rule, print_, fresh[0].group, crossing)
            for crossing in crossings(threshold, entries.get(print_, []), times)
        )
    return found
