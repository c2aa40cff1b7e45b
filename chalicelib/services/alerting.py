"""Alert decisions inside a unit of work: lock the fingerprint, read, decide, hand back the change.

Every path that changes alerts goes through here, with the same idiom: the processor's new
matches (events and CSV rows), the schedule's absences and sweep, the API's acknowledge and
resolve. Each first locks the fingerprint's row (in key order, when there are several), then reads
the alert, so two writers never decide on the same stale alert; the decision is the domain's
(:mod:`chalicelib.domain.alerts`), and the change goes back to the same unit of work, which
writes the alert, its timeline and its notices together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.alerts import Alert, AlertChange, FlapState, open_or_add, still_flapping
from chalicelib.domain.rules import AlertPolicy, Rule, RuleMatch
from chalicelib.ports import AlertWork, VerdictWork


@dataclass(frozen=True)
class Recorded:
    """What recording matches did: how many were new, and the notices their alerts queued."""

    new: int = 0
    notices: int = 0


def record_matches(
    work: VerdictWork, matches: Sequence[RuleMatch], rules: Mapping[str, Rule], at: datetime
) -> Recorded:
    """Record ``matches`` (keyed, so a replay adds none) and open or add to the alerts of those
    that are new; the ones recorded before had their alerts changed when they were."""
    if not matches:
        return Recorded()
    unique = list({(one.rule_id, one.match_key): one for one in matches}.values())
    fresh = work.add_new_matches(unique, at)
    return Recorded(len(fresh), open_or_advance(work, fresh, rules, at))


def open_or_advance(
    work: AlertWork, matches: Sequence[RuleMatch], rules: Mapping[str, Rule], now: datetime
) -> int:
    """Open or add to the alerts of new ``matches``, one change per fingerprint; how many
    notices were queued. Matches of a rule not in ``rules`` change no alert."""
    by_print: dict[str, list[RuleMatch]] = {}
    for match in matches:
        if match.rule_id in rules:
            by_print.setdefault(match.fingerprint, []).append(match)
    if not by_print:
        return 0
    flapping = work.lock_fingerprints(
        {print_: found[0].rule_id for print_, found in by_print.items()}, now
    )
    active = work.active_alerts(by_print)
    changes = []
    for print_ in sorted(by_print):
        found = by_print[print_]
        rule = rules[found[0].rule_id]
        alert = active.get(print_)
        if alert is None or flapping[print_]:
            flap = flap_state(work, print_, flapping[print_], rule.alerting, now)
        else:  # matches only add to an active alert: its opens are not counted
            flap = FlapState(False, 0)
        changes.append(open_or_add(alert, found, rule, flap, now))
    work.write_changes(changes, now)
    return sum(len(change.notices) for change in changes)


Decide = Callable[[Alert | None, FlapState, datetime], AlertChange | None]


def change_fingerprint(
    work: AlertWork,
    fingerprint: str,
    rule_id: str,
    policy: AlertPolicy,
    decide: Decide,
    now: datetime,
) -> tuple[Alert | None, AlertChange | None]:
    """One fingerprint's decision made outside a rule's matches (a pipeline incident, another
    tool's alert): under the fingerprint's lock, ``decide`` sees its active alert and flapping
    state, and what it decided is written with its timeline and notices. The active alert
    afterwards, and the change written (None: nothing was)."""
    flapping = work.lock_fingerprints({fingerprint: rule_id}, now)[fingerprint]
    active = work.active_alert(fingerprint)
    change = decide(active, flap_state(work, fingerprint, flapping, policy, now), now)
    if change is None:
        return active, None
    work.write_change(change, now)
    return work.active_alert(fingerprint) or change.alert, change


def flap_state(
    work: AlertWork, fingerprint: str, flapping: bool, policy: AlertPolicy, now: datetime
) -> FlapState:
    """The fingerprint's opens within the flapping window; a flapping spell that has calmed down
    is ended here, so every caller sees it settled."""
    state = FlapState(flapping, work.recent_opens(fingerprint, now - policy.flap_within))
    if flapping and not still_flapping(state):
        work.end_flapping(fingerprint)
        return FlapState(False, state.recent_opens)
    return state


def locked_alert(work: AlertWork, alert_id: int, now: datetime) -> Alert | None:
    """The alert re-read after its fingerprint is locked: what was read before may be stale."""
    alert = work.alert(alert_id)
    if alert is None:
        return None
    work.lock_fingerprints({alert.fingerprint: alert.rule_id}, now)
    return work.alert(alert_id)


def current_flap(work: AlertWork, alert: Alert, policy: AlertPolicy, now: datetime) -> FlapState:
    """The flapping state of a locked alert's fingerprint."""
    return flap_state(work, alert.fingerprint, work.flapping(alert.fingerprint), policy, now)
