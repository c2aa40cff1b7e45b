"""The alert flows: the API's list, page, acknowledge and resolve, and the schedule's sweep.

Acknowledge, resolve and each alert's sweep are decided by the domain on the alert as it is under
its fingerprint's lock, inside one unit of work (the idiom of :mod:`~chalicelib.services.alerting`),
so an acknowledgement racing an automatic resolve leaves one consistent answer, and both are
idempotent: a retried request changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.alerts import (
    DEFAULT_ACTOR,
    Alert,
    AlertChange,
    AlertPage,
    FlapState,
    acknowledge,
    alert_view,
    condition_clear,
    is_external,
    parse_alert_action,
    parse_alert_id,
    parse_alert_query,
    remind,
    resolve,
    sweep,
)
from chalicelib.domain.errors import Detail, NotFound
from chalicelib.domain.incidents import POLICY as INCIDENTS
from chalicelib.domain.incidents import is_incident
from chalicelib.domain.json_values import json_value
from chalicelib.domain.pagerduty import POLICY as EXTERNAL
from chalicelib.domain.rules import AlertPolicy, Rule, RuleBook, WindowBucket, window_at
from chalicelib.domain.silences import SilenceTarget, silencing
from chalicelib.ports import AlertStore, AlertWork, Clock, LiveSilences
from chalicelib.services.alerting import current_flap, flap_state, locked_alert


def list_alerts(
    params: Mapping[str, str], *, store: AlertStore, default_limit: int, max_limit: int
) -> AlertPage:
    query = parse_alert_query(params, default_limit=default_limit, max_limit=max_limit)
    return store.list_alerts(query)


def describe_alert(alert_id: str, *, store: AlertStore) -> dict[str, Any]:
    """The alert with its timeline: every transition and every notification decision."""
    number = parse_alert_id(alert_id)
    alert = store.get(number)
    if alert is None:
        raise _missing(alert_id)
    lines, notices = store.history(number)
    timeline = [
        {"at": json_value(line.at), "kind": line.kind, "detail": line.detail}
        | ({"by": line.actor} if line.actor else {})
        | ({"comment": line.comment} if line.comment else {})
        | ({"notification": line.outbox_id} if line.outbox_id else {})
        for line in lines
    ]
    notifications = [
        {
            "id": one.outbox_id,
            "transition": one.transition,
            "kind": one.kind,
            "status": one.status,
            "attempts": one.attempts,
            "queued_at": json_value(one.created_at),
            "next_attempt_at": json_value(one.next_attempt_at) if one.status == "pending" else None,
            "settled_at": json_value(one.settled_at),
            "last_error": one.last_error,
            "message_id": one.message_id,
            "silence": one.silence_id,
        }
        for one in notices
    ]
    return alert_view(alert) | {"timeline": timeline, "notifications": notifications}


def acknowledge_alert(
    alert_id: str,
    payload: object,
    *,
    store: AlertStore,
    book: RuleBook,
    clock: Clock,
    actor: str = DEFAULT_ACTOR,
) -> dict[str, Any]:
    """``actor`` is the caller's key; the body's ``by`` (a person) goes before it."""
    action = parse_alert_action(payload, actor)
    now = clock.now()

    def decide(alert: Alert, _flap: FlapState) -> AlertChange:
        return acknowledge(alert, actor=action.actor, comment=action.comment, now=now)

    return _changed(alert_id, decide, store, book, now)


def resolve_alert(
    alert_id: str,
    payload: object,
    *,
    store: AlertStore,
    book: RuleBook,
    clock: Clock,
    actor: str = DEFAULT_ACTOR,
) -> dict[str, Any]:
    action = parse_alert_action(payload, actor)
    now = clock.now()

    def decide(alert: Alert, flap: FlapState) -> AlertChange:
        return resolve(
            alert,
            now,
            f"resolved by hand: {action.comment}",
            flap=flap,
            actor=action.actor,
            comment=action.comment,
        )

    return _changed(alert_id, decide, store, book, now)


def _changed(
    alert_id: str,
    decide: Callable[[Alert, FlapState], AlertChange],
    store: AlertStore,
    book: RuleBook,
    now: datetime,
) -> dict[str, Any]:
    """``decide`` on the alert as it is under its fingerprint's lock; an error it raises rolls
    the unit of work back."""
    number = parse_alert_id(alert_id)
    with store.unit_of_work("changing an alert") as work:
        alert = locked_alert(work, number, now)
        if alert is None:
            raise _missing(alert_id)
        rule = book.rule(alert.rule_id)
        policy = rule.alerting if rule is not None else AlertPolicy()
        change = decide(alert, current_flap(work, alert, policy, now))
        work.write_change(change, now)
    return alert_view(change.alert)


@dataclass
class SweepReport:
    resolved: int = 0
    repeats: int = 0
    reminders: int = 0
    settled: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "resolved": self.resolved,
            "repeats": self.repeats,
            "reminders": self.reminders,
            "flapping_settled": self.settled,
        }


def sweep_alerts(
    *, store: AlertStore, book: RuleBook, silences: LiveSilences, clock: Clock
) -> SweepReport:
    """Every active alert once: resolve what cleared, repeat what nobody acknowledged, tell what
    a silence or a flapping spell withheld; then end flapping spells that calmed down."""
    now = clock.now()
    live = [one for one in silences.live(now) if one.active_at(now)]
    report = SweepReport()

    def silenced(alert: Alert) -> bool:
        target = SilenceTarget(alert.rule_id, alert.source, alert.labels, alert.group)
        return silencing(live, target, now) is not None

    for alert in store.active_alerts():
        assert alert.id is not None
        change = sweep_alert(store, alert.id, book.rule(alert.rule_id), silenced, now)
        for notice in change.notices if change else ():
            if notice.kind == "repeat":
                report.repeats += 1
            elif notice.kind == "reminder":
                report.reminders += 1
        if change is not None and change.alert.status == "resolved":
            report.resolved += 1
    report.settled = settle_flapping(store, {rule.id: rule.alerting for rule in book.rules}, now)
    return report


def sweep_alert(
    store: AlertStore,
    alert_id: int,
    rule: Rule | None,
    silenced: Callable[[Alert], bool],
    now: datetime,
) -> AlertChange | None:
    """The schedule's turn on one alert: its condition read and judged under the lock, the
    change written; None when it is no longer active or nothing changed."""
    with store.unit_of_work("sweeping an alert") as work:
        alert = locked_alert(work, alert_id, now)
        if alert is None or not alert.active:
            return None
        flap = current_flap(work, alert, rule.alerting if rule is not None else AlertPolicy(), now)
        clear = rule is not None and condition_clear(
            alert,
            rule,
            now,
            window=_window(work, alert, rule, now),
            last_seen_at=_last_seen(work, alert, rule),
        )
        if is_incident(alert):  # no rule's condition: services.incident_watch resolves it
            change = remind(alert, INCIDENTS, flap=flap, silenced=silenced(alert), now=now)
        elif is_external(alert):  # another tool's alert: its sender (or on-call) resolves it
            change = remind(alert, EXTERNAL, flap=flap, silenced=silenced(alert), now=now)
        else:
            change = sweep(alert, rule, clear=clear, flap=flap, silenced=silenced(alert), now=now)
        if change is not None:
            work.write_change(change, now)
        return change


def settle_flapping(store: AlertStore, policies: Mapping[str, AlertPolicy], now: datetime) -> int:
    """End the flapping spells that calmed down, of fingerprints without an active alert (the
    sweep of an active one settles it, and owes the alert's state); how many ended."""
    settled = 0
    for print_, rule_id in store.flapping_fingerprints():
        with store.unit_of_work("settling flapping alerts") as work:
            flapping = work.lock_fingerprints({print_: rule_id}, now)[print_]
            if work.active_alert(print_) is not None:
                continue
            state = flap_state(work, print_, flapping, policies.get(rule_id, AlertPolicy()), now)
            settled += int(flapping and not state.flapping)
    return settled


def _window(work: AlertWork, alert: Alert, rule: Rule, now: datetime) -> list[WindowBucket]:
    """A threshold rule's window ending now: its buckets up to and including now's."""
    threshold = rule.threshold
    if threshold is None:
        return []
    return work.window(
        rule.id,
        rule.state_version,
        alert.fingerprint,
        window_at(threshold, now),
        threshold.aggregate == "distinct",
    )


def _last_seen(work: AlertWork, alert: Alert, rule: Rule) -> datetime | None:
    if rule.absence is None:
        return None
    return work.last_seen(rule.id, rule.state_version, alert.fingerprint)


def _missing(alert_id: str) -> NotFound:
    return NotFound(f"no alert {alert_id!r}", [Detail("not found", field="id", value=alert_id)])
