"""The alert flows: the API's list, page, acknowledge and resolve, and the schedule's sweep.

Acknowledge and resolve are decided by the domain on the alert as it is under its fingerprint's
lock, so an acknowledgement racing an automatic resolve leaves one consistent answer, and both
are idempotent: a retried request changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.alert_lifecycle import acknowledge, resolve
from chalicelib.domain.alert_model import Alert, AlertChange, FlapState
from chalicelib.domain.alert_queries import AlertPage, parse_alert_query
from chalicelib.domain.alert_views import (
    DEFAULT_ACTOR,
    alert_view,
    parse_alert_action,
    parse_alert_id,
)
from chalicelib.domain.errors import Detail, NotFound
from chalicelib.domain.rule_model import AlertPolicy
from chalicelib.domain.rule_verdicts import json_value
from chalicelib.domain.rulebook import RuleBook
from chalicelib.domain.silences import SilenceTarget, silencing
from chalicelib.ports import AlertStore, Clock, LiveSilences


def list_alerts(params: Mapping[str, str], *, store: AlertStore, default_limit: int,
                max_limit: int) -> AlertPage:
    query = parse_alert_query(params, default_limit=default_limit, max_limit=max_limit)
    return store.list_alerts(query)


def describe_alert(alert_id: str, *, store: AlertStore) -> dict[str, Any]:
    """The alert with its timeline: every transition and every notification decision."""
    number = parse_alert_id(alert_id)
    alert = store.get(number)
    if alert is None:
        raise _missing(alert_id)
    lines, notices = store.history(number)
    timeline = [{"at": json_value(line.at), "kind": line.kind, "detail": line.detail}
                | ({"by": line.actor} if line.actor else {})
                | ({"comment": line.comment} if line.comment else {})
                | ({"notification": line.outbox_id} if line.outbox_id else {})
                for line in lines]
    notifications = [{"id": one.outbox_id, "transition": one.transition, "kind": one.kind,
                      "status": one.status, "attempts": one.attempts,
                      "queued_at": json_value(one.created_at),
                      "next_attempt_at": json_value(one.next_attempt_at)
                      if one.status == "pending" else None,
                      "settled_at": json_value(one.settled_at), "last_error": one.last_error,
                      "message_id": one.message_id, "silence": one.silence_id}
                     for one in notices]
    return alert_view(alert) | {"timeline": timeline, "notifications": notifications}


def acknowledge_alert(alert_id: str, payload: object, *, store: AlertStore, book: RuleBook,
                      clock: Clock, actor: str = DEFAULT_ACTOR) -> dict[str, Any]:
    """``actor`` is the caller's key; the body's ``by`` (a person) goes before it."""
    action = parse_alert_action(payload, actor)
    now = clock.now()

    def decide(alert: Alert, _flap: FlapState) -> AlertChange:
        return acknowledge(alert, actor=action.actor, comment=action.comment, now=now)

    return _changed(alert_id, decide, store, book, clock)


def resolve_alert(alert_id: str, payload: object, *, store: AlertStore, book: RuleBook,
                  clock: Clock, actor: str = DEFAULT_ACTOR) -> dict[str, Any]:
    action = parse_alert_action(payload, actor)
    now = clock.now()

    def decide(alert: Alert, flap: FlapState) -> AlertChange:
        return resolve(alert, now, f"resolved by hand: {action.comment}", flap=flap,
                       actor=action.actor, comment=action.comment)

    return _changed(alert_id, decide, store, book, clock)


def _changed(alert_id: str, decide: Callable[[Alert, FlapState], AlertChange],
             store: AlertStore, book: RuleBook, clock: Clock) -> dict[str, Any]:
    number = parse_alert_id(alert_id)
    found = store.get(number)
    if found is None:
        raise _missing(alert_id)
    rule = book.rule(found.rule_id)
    policy = rule.alerting if rule is not None else AlertPolicy()
    changed = store.change(number, decide, policy, clock.now())
    if changed is None:
        raise _missing(alert_id)
    return alert_view(changed)


@dataclass
class SweepReport:
    resolved: int = 0
    repeats: int = 0
    reminders: int = 0
    settled: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"resolved": self.resolved, "repeats": self.repeats, "reminders": self.reminders,
                "flapping_settled": self.settled}


def sweep_alerts(*, store: AlertStore, book: RuleBook, silences: LiveSilences,
                 clock: Clock) -> SweepReport:
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
        change = store.sweep(alert.id, book.rule(alert.rule_id), silenced, now)
        for notice in change.notices if change else ():
            if notice.kind == "repeat":
                report.repeats += 1
            elif notice.kind == "reminder":
                report.reminders += 1
        if change is not None and change.alert.status == "resolved":
            report.resolved += 1
    report.settled = store.settle_flapping({rule.id: rule.alerting for rule in book.rules}, now)
    return report


def _missing(alert_id: str) -> NotFound:
    return NotFound(f"no alert {alert_id!r}", [Detail("not found", field="id", value=alert_id)])
