"""The loaded rules as operators see them, and the clock-driven half of the rules: absences.

``list_rules`` answers ``GET /rules``: each rule with its version and how often it matched, per
version, so a changed rule's history is not mixed with its predecessor's. ``check_absences`` asks
every absence rule which of its groups fell silent; it is idempotent (a silence is recorded once
however often it is checked), so the scheduler may run it as often as it likes.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.alerts import condition_text
from chalicelib.domain.durations import format_duration
from chalicelib.domain.json_values import json_value
from chalicelib.domain.rules import MatchCount, Rule, RuleBook, expected_groups, silent_groups
from chalicelib.ports import AbsenceState, Clock, RuleReader
from chalicelib.services.alerting import record_matches


def list_rules(*, book: RuleBook, reader: RuleReader) -> list[dict[str, Any]]:
    counts: dict[str, list[MatchCount]] = {}
    for count in reader.match_counts():
        counts.setdefault(count.rule_id, []).append(count)
    failures = reader.failure_counts()
    return [
        rule_view(rule, counts.get(rule.id, []), failures.get(rule.id, 0)) for rule in book.rules
    ]


def rule_view(rule: Rule, counts: list[MatchCount], failures: int) -> dict[str, Any]:
    current = next((one for one in counts if one.rule_version == rule.version), None)
    last = max((one.last_matched_at for one in counts if one.last_matched_at), default=None)
    view: dict[str, Any] = {
        "id": rule.id,
        "description": rule.description,
        "kind": rule.kind,
        "enabled": rule.enabled,
        "severity": rule.severity,
        "version": rule.version,
        "sources": list(rule.sources),
        "types": list(rule.types),
        "group_by": list(rule.group_by),
        "labels": dict(rule.labels),
        "runbook": rule.runbook,
        "condition": condition_text(rule),
        "file": f"{rule.file}:{rule.line}",
        "matches": {
            "total": sum(one.matches for one in counts),
            "this_version": current.matches if current else 0,
            "by_version": {one.rule_version: one.matches for one in counts},
            "last_matched_at": json_value(last),
        },
        "failures": failures,
    }
    if rule.resolve_after is not None:
        view["resolve_after"] = format_duration(rule.resolve_after)
    return view


def check_absences(*, book: RuleBook, state: AbsenceState, clock: Clock) -> int:
    """Record a match for every group silent past its rule's ``within``; how many were new."""
    now = clock.now()
    recorded = 0
    for rule in book.rules:
        if not rule.enabled or rule.absence is None:
            continue
        sightings = state.sightings(rule.id, rule.state_version, expected_groups(rule), now)
        silent = silent_groups(rule, sightings, now)
        if not silent:
            continue
        with state.unit_of_work() as work:  # the silences and the alerts they open, together
            recorded += record_matches(work, silent, {rule.id: rule}, now).new
    return recorded
