"""How an alert moves: ``open`` → ``acknowledged`` → ``resolved``, decided as values.

Each function takes the alert as stored (read under its fingerprint's lock) and returns an
:class:`AlertChange`: the new alert, its timeline lines, and the notices to queue in the same
transaction. Nothing here sends or stores anything, so every rule of the lifecycle is tested
without a database and the processor, the schedule and the API apply the same decisions.

The decisions that keep on-call's inbox honest live here: one alert per problem (matches while it
is active only count), a resolve notice when it clears, repeats only while nobody acknowledged it,
one notice for a flapping group instead of one per open and resolve, and the state owed once when
a silence or a flapping spell that withheld a notice is over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.alerts.model import (
    Alert,
    AlertChange,
    FlapState,
    Happening,
    Notice,
)
from chalicelib.domain.durations import format_duration
from chalicelib.domain.errors import Conflict, Detail
from chalicelib.domain.rules import AlertPolicy, Rule, RuleMatch, describe_group


def policy_of(rule: Rule) -> AlertPolicy:
    return replace(rule.alerting, quiet_after=rule.quiet_after)


def open_or_add(
    active: Alert | None, matches: Sequence[RuleMatch], rule: Rule, flap: FlapState, now: datetime
) -> AlertChange:
    """New matches of one fingerprint: they count on the active alert, or open a new one.

    Matches arrive in any order (SQS redelivers, a late event lands in an older window): the
    alert's first and last times, its sample and its observed value follow event time, never
    the order the batches came in, so any delivery order leaves the same alert.
    """
    latest = max(matches, key=_event_order)
    first = min(one.occurred_at for one in matches)
    if active is not None:
        added = replace(
            active,
            count=active.count + len(matches),
            first_seen_at=min(active.first_seen_at, first),
            last_matched_at=now,
            clear_since=None,
        )
        return AlertChange(_seen(added, latest))
    alert = Alert(
        id=None,
        fingerprint=latest.fingerprint,
        rule_id=rule.id,
        rule_version=rule.version,
        kind=rule.kind,
        severity=rule.severity,
        source=latest.source or _only_source(rule),
        group=latest.group,
        labels=dict(rule.labels),
        status="open",
        count=len(matches),
        first_seen_at=first,
        last_seen_at=latest.occurred_at,
        last_matched_at=now,
        opened_at=now,
        observed=latest.observed,
        sample_source=latest.source,
        sample_event_id=latest.event_id,
        notified_at=now,
    )
    opened = Happening("opened", f"{rule.id} fired for {describe_group(alert.group)}")
    return _flap_guard(alert, opened, rule.alerting, flap)


def revise_observed(alert: Alert | None, revised: Sequence[RuleMatch]) -> AlertChange | None:
    """Recorded matches whose ``observed`` a late entry revised: an alert's observed value is
    its latest match's, so it follows when that match (its sample) is among them, and arrival
    order leaves the alert as it leaves the match. Nothing else about the alert changes, and
    nobody is told: the alert was opened for a crossing that still holds. None when the alert
    does not change."""
    if alert is None:
        return None
    for match in revised:
        sample = (match.source, match.event_id) == (alert.sample_source, alert.sample_event_id)
        if sample and match.observed is not None and match.observed != alert.observed:
            return AlertChange(replace(alert, observed=match.observed))
    return None


def _event_order(match: RuleMatch) -> tuple[datetime, str, str]:
    return (match.occurred_at, match.source or "", match.event_id or "")


def _seen(alert: Alert, match: RuleMatch) -> Alert:
    """The alert's latest sighting moved to ``match``, unless the alert has seen a later one."""
    if _event_order(match) < (
        alert.last_seen_at,
        alert.sample_source or "",
        alert.sample_event_id or "",
    ):
        return alert
    return replace(
        alert,
        last_seen_at=match.occurred_at,
        observed=match.observed if match.observed is not None else alert.observed,
        sample_source=match.source or alert.sample_source,
        sample_event_id=match.event_id or alert.sample_event_id,
    )


def open_alert(
    alert: Alert, opened: Happening, policy: AlertPolicy, flap: FlapState
) -> AlertChange:
    """A new alert that no rule's match opened (an operations incident), told as a rule's new
    alert is: once, or as the start of a flapping spell, or withheld while one lasts."""
    return _flap_guard(alert, opened, policy, flap)


def _flap_guard(
    alert: Alert, opened: Happening, policy: AlertPolicy, flap: FlapState
) -> AlertChange:
    opens = flap.recent_opens + 1
    if opens <= policy.flap_opens and not flap.flapping:
        return AlertChange(alert, (opened,), (Notice("opened", "opened"),))
    flapping = replace(alert, flapping=True)
    if not flap.flapping:
        started = Happening(
            "flapping",
            f"opened {opens} times within "
            f"{format_duration(policy.flap_within)}: flapping; on-call is told "
            "once, later opens and resolves are recorded, not sent",
        )
        return AlertChange(
            flapping, (opened, started), (Notice("flapping", "flapping"),), flapping=True
        )
    withheld = Happening("withheld", "not notified: the group is flapping")
    return AlertChange(replace(flapping, owed=True), (opened, withheld))


def sweep(
    alert: Alert, rule: Rule | None, *, clear: bool, flap: FlapState, silenced: bool, now: datetime
) -> AlertChange | None:
    """The clock's turn on an active alert: resolve it once its condition has been clear long
    enough, settle a flapping spell, send what is owed, repeat while nobody acknowledged it.
    None when nothing changes."""
    if rule is None or not rule.enabled:
        return resolve(alert, now, "its rule was removed or disabled", flap=flap)
    policy = policy_of(rule)
    if clear:
        since = alert.clear_since or _cleared_at(alert, policy, now)
        if now >= since + policy.keep_firing_for:
            return resolve(alert, now, _why_cleared(alert, policy), flap=flap)
        return _still_clearing(alert, since, policy)
    change = AlertChange(alert)
    if alert.clear_since is not None:
        change = AlertChange(
            replace(alert, clear_since=None),
            (Happening("firing", "its condition holds again before it resolved"),),
        )
    if alert.flapping and not flap.flapping:
        change = AlertChange(
            replace(change.alert, flapping=False),
            (*change.timeline, Happening("settled", "no longer flapping")),
        )
    return _remind_or_repeat(change, policy, flap, silenced, now) or (
        change if change.alert != alert else None
    )


def remind(
    alert: Alert, policy: AlertPolicy, *, flap: FlapState, silenced: bool, now: datetime
) -> AlertChange | None:
    """The clock's turn on an alert no rule's condition resolves (an operations incident, whose
    cause is watched elsewhere): only what a silence or a flapping spell withheld is told, and
    repeats as ``policy`` says. None when nothing changes."""
    change = AlertChange(alert)
    if alert.flapping and not flap.flapping:
        change = AlertChange(
            replace(alert, flapping=False), (Happening("settled", "no longer flapping"),)
        )
    return _remind_or_repeat(change, policy, flap, silenced, now) or (
        change if change.alert != alert else None
    )


def _cleared_at(alert: Alert, policy: AlertPolicy, now: datetime) -> datetime:
    if policy.quiet_after is not None:
        return min(now, alert.last_matched_at + policy.quiet_after)
    return now


def _still_clearing(alert: Alert, since: datetime, policy: AlertPolicy) -> AlertChange | None:
    if alert.clear_since is not None:
        return None
    until = since + policy.keep_firing_for
    return AlertChange(
        replace(alert, clear_since=since),
        (
            Happening(
                "clearing",
                f"its condition is clear; kept firing until {until.isoformat()} "
                f"(keep_firing_for {format_duration(policy.keep_firing_for)})",
            ),
        ),
    )


def _why_cleared(alert: Alert, policy: AlertPolicy) -> str:
    if alert.kind == "match" and policy.quiet_after is not None:
        return f"no new match for {format_duration(policy.quiet_after)}"
    if alert.kind == "absence":
        return "the group was heard from again"
    return "the window no longer crosses the threshold"


def _remind_or_repeat(
    change: AlertChange, policy: AlertPolicy, flap: FlapState, silenced: bool, now: datetime
) -> AlertChange | None:
    alert = change.alert
    if flap.flapping or alert.flapping or silenced:
        return None
    if alert.owed:
        if alert.status == "acknowledged":
            return AlertChange(replace(alert, owed=False), change.timeline)
        number = alert.reminders + 1
        line = Happening("reminder", "still open after its notice was withheld; told once now")
        return AlertChange(
            replace(alert, owed=False, reminders=number, notified_at=now),
            (*change.timeline, line),
            (Notice("reminder", f"reminder:{number}"),),
        )
    due = (
        alert.notified_at is not None
        and policy.repeat_every is not None
        and (now >= alert.notified_at + policy.repeat_every)
    )
    if alert.status != "open" or not due:
        return None
    number = alert.repeats + 1
    return AlertChange(
        replace(alert, repeats=number, notified_at=now),
        change.timeline,
        (Notice("repeat", f"repeat:{number}"),),
    )


def acknowledge(alert: Alert, *, actor: str, comment: str, now: datetime) -> AlertChange:
    """Someone is on it: no more repeats. Acknowledging twice changes nothing."""
    if alert.status == "resolved":
        raise Conflict(
            f"alert {alert.id} is resolved; there is nothing to acknowledge",
            [Detail("is resolved", field="status", value=alert.status)],
        )
    if alert.status == "acknowledged":
        return AlertChange(alert)
    acked = replace(
        alert, status="acknowledged", acknowledged_at=now, acknowledged_by=actor, owed=False
    )
    return AlertChange(
        acked, (Happening("acknowledged", f"acknowledged by {actor}", actor, comment),)
    )


def resolve(
    alert: Alert,
    now: datetime,
    resolution: str,
    *,
    flap: FlapState,
    actor: str | None = None,
    comment: str | None = None,
) -> AlertChange:
    """Resolved, by its condition or by hand; resolving twice changes nothing. The next match
    opens a new alert."""
    if alert.status == "resolved":
        return AlertChange(alert)
    done = replace(
        alert,
        status="resolved",
        resolved_at=now,
        resolved_by=actor,
        resolution=resolution,
        clear_since=None,
        owed=False,
    )
    line = Happening(
        "resolved", resolution if actor is None else f"resolved by {actor}", actor, comment
    )
    if flap.flapping or alert.flapping:
        return AlertChange(
            done, (line, Happening("withheld", "not notified: the group is flapping"))
        )
    return AlertChange(done, (line,), (Notice("resolved", "resolved"),))


def still_flapping(flap: FlapState) -> bool:
    """A flapping group settles once a whole flapping window holds at most one open (the alert
    still active, if any). Settling any sooner would let the next open flap again at once and
    send a second flapping notice for the same spell."""
    return flap.flapping and flap.recent_opens > 1


def _only_source(rule: Rule) -> str | None:
    return rule.sources[0] if len(rule.sources) == 1 else None
