"""Absence rules: which groups have been silent for longer than ``within``, decided on a clock.

Nothing arrives to say a store went quiet, so absence is decided when someone asks (the scheduled
check, a dry-run at the end of its range), from each group's last sighting. A sighting only moves
forward: a late event older than the last one seen changes nothing, so out-of-order delivery
cannot make a live group look silent.

A silence is one match however often it is checked: its key is the group and the instant the
silence began (the last sighting, or when tracking began for a group never seen), so the same
stretch of silence is recorded once and a new stretch after the group spoke again is new.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.domain.rules.model import Rule
from chalicelib.domain.rules.verdicts import GroupValues, RuleMatch, fingerprint


@dataclass(frozen=True, slots=True)
class Sighting:
    """What an absence rule knows of one group: when tracking began and when it was last heard.

    ``last_seen_at`` is None for an expected group (a listed entity, or the source itself) that
    has not been heard from since ``since``.
    """

    fingerprint: str
    group: GroupValues
    since: datetime
    last_seen_at: datetime | None = None


def expected_groups(rule: Rule) -> list[tuple[str, GroupValues]]:
    """The groups an absence rule expects before any event: its listed entities, or the source.

    ``expect: seen`` expects only what it has seen, so it has none.
    """
    absence = rule.absence
    if absence is None or absence.expect == "seen":
        return []
    if absence.expect == "source":
        return [(fingerprint(rule.id, ()), ())]
    groups = [tuple(zip(rule.group_by, entity, strict=True)) for entity in absence.entities]
    return [(fingerprint(rule.id, group), group) for group in groups]


def silent_groups(rule: Rule, sightings: Iterable[Sighting], now: datetime) -> list[RuleMatch]:
    """One match per group silent for ``within`` or longer at ``now``.

    A group never heard from counts from ``since`` when the rule says ``never_seen: alert`` and
    is left alone when it says ``ignore``.
    """
    absence = rule.absence
    if absence is None:
        return []
    found = []
    for sighting in sightings:
        began = sighting.last_seen_at
        if began is None and absence.never_seen == "alert":
            began = sighting.since
        if began is None or now - began < absence.within:
            continue
        stamp = began.astimezone(UTC).isoformat().replace("+00:00", "Z")
        found.append(
            RuleMatch(
                rule_id=rule.id,
                rule_version=rule.version,
                kind="absence",
                match_key=f"absence:{sighting.fingerprint}:{stamp}",
                fingerprint=sighting.fingerprint,
                group=sighting.group,
                occurred_at=began + absence.within,
                observed=(now - began).total_seconds(),
            )
        )
    return found
