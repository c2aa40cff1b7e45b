"""Carrying out alert decisions inside a transaction: lock the fingerprint, read, decide, write.

Every change to a fingerprint's alerts (new matches in the processor, the schedule's sweep, an
acknowledgement through the API) first locks that fingerprint's row in ``alert_fingerprints``, in
key order, then reads the active alert, so two writers never decide on the same stale alert. The
decision is the domain's (:mod:`~chalicelib.domain.alert_lifecycle`); what it says to send is
written to ``alert_outbox`` in the same transaction as the alert, keyed by alert and transition,
so a transition is queued exactly once, and is never queued for a change that rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from chalicelib.adapters.db.tables import (
    alert_fingerprints,
    alert_outbox,
    alert_timeline,
    alerts,
    rule_matches,
)
from chalicelib.adapters.db.upsert import insert_missing, insert_or_advance
from chalicelib.domain.alert_lifecycle import open_or_add, still_flapping
from chalicelib.domain.alert_model import Alert, AlertChange, FlapState, Happening
from chalicelib.domain.rule_model import AlertPolicy, Rule
from chalicelib.domain.rule_verdicts import RuleMatch


def fresh_matches(conn: Connection, matches: Sequence[RuleMatch]) -> list[RuleMatch]:
    """The matches not recorded yet (call before recording them, in the same transaction)."""
    if not matches:
        return []
    known = {(row.rule_id, row.match_key) for row in conn.execute(
        select(rule_matches.c.rule_id, rule_matches.c.match_key).where(
            rule_matches.c.match_key.in_({one.match_key for one in matches})))}
    unique = {(one.rule_id, one.match_key): one for one in matches}
    return [one for key, one in unique.items() if key not in known]


def apply_matches(conn: Connection, matches: Sequence[RuleMatch], rules: Mapping[str, Rule],
                  now: datetime) -> int:
    """Open or add to the alerts of fresh ``matches``; how many notices were queued."""
    by_print: dict[str, list[RuleMatch]] = {}
    for match in matches:
        if match.rule_id in rules:
            by_print.setdefault(match.fingerprint, []).append(match)
    if not by_print:
        return 0
    heads = lock_fingerprints(conn, {print_: found[0].rule_id
                                     for print_, found in by_print.items()}, now)
    queued = 0
    for print_ in sorted(by_print):
        found = by_print[print_]
        rule = rules[found[0].rule_id]
        flap = flap_state(conn, print_, heads[print_], rule.alerting, now)
        change = open_or_add(active_alert(conn, print_), found, rule, flap, now)
        queued += write_change(conn, change, now)
    return queued


def lock_fingerprints(conn: Connection, rule_ids: Mapping[str, str],
                      now: datetime) -> dict[str, bool]:
    """Create or touch each fingerprint's row, in key order (on MySQL the upsert holds each row
    until the transaction ends); returns whether each is flapping."""
    insert_or_advance(conn, alert_fingerprints, [
        {"fingerprint": print_, "rule_id": rule_ids[print_], "flapping": False,
         "flapping_since": None, "touched_at": now} for print_ in sorted(rule_ids)],
        ("fingerprint",), "touched_at")
    rows = conn.execute(select(alert_fingerprints.c.fingerprint, alert_fingerprints.c.flapping)
                        .where(alert_fingerprints.c.fingerprint.in_(list(rule_ids))))
    return {row.fingerprint: bool(row.flapping) for row in rows}


def flap_state(conn: Connection, print_: str, flapping: bool, policy: AlertPolicy,
               now: datetime) -> FlapState:
    """The fingerprint's opens within the flapping window; a flapping spell that has calmed down
    is ended here, so every caller sees it settled."""
    recent = conn.scalar(select(func.count()).select_from(alerts).where(
        alerts.c.fingerprint == print_, alerts.c.opened_at > now - policy.flap_within)) or 0
    state = FlapState(flapping, int(recent))
    if flapping and not still_flapping(state):
        conn.execute(update(alert_fingerprints).where(alert_fingerprints.c.fingerprint == print_)
                     .values(flapping=False, flapping_since=None))
        return FlapState(False, int(recent))
    return state


def active_alert(conn: Connection, print_: str) -> Alert | None:
    row = conn.execute(select(alerts).where(alerts.c.active_key == print_)).first()
    return None if row is None else alert_from_row(row)


def alert_by_id(conn: Connection, alert_id: int) -> Alert | None:
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    return None if row is None else alert_from_row(row)


def write_change(conn: Connection, change: AlertChange, now: datetime) -> int:
    """Store the alert, its timeline lines and its notices; how many notices were queued."""
    alert = change.alert
    row = alert_row(alert, now)
    if alert.id is None:
        key = conn.execute(alerts.insert().values(row)).inserted_primary_key
        assert key is not None
        alert_id = int(key[0])
    else:
        alert_id = alert.id
        conn.execute(update(alerts).where(alerts.c.id == alert_id).values(row))
    add_timeline(conn, alert_id, change.timeline, now)
    insert_missing(conn, alert_outbox, [
        {"alert_id": alert_id, "transition": notice.transition, "kind": notice.kind,
         "rule_id": alert.rule_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
         "created_at": now} for notice in change.notices], ("alert_id", "transition"))
    if change.flapping is not None:
        conn.execute(update(alert_fingerprints)
                     .where(alert_fingerprints.c.fingerprint == alert.fingerprint)
                     .values(flapping=change.flapping,
                             flapping_since=now if change.flapping else None))
    return len(change.notices)


def add_timeline(conn: Connection, alert_id: int, lines: Iterable[Happening], at: datetime,
                 outbox_id: int | None = None) -> None:
    rows = [{"alert_id": alert_id, "at": at, "kind": line.kind, "detail": line.detail[:1000],
             "actor": line.actor, "comment": line.comment, "outbox_id": outbox_id}
            for line in lines]
    if rows:
        conn.execute(alert_timeline.insert(), rows)


def alert_row(alert: Alert, now: datetime) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint,
        "active_key": alert.fingerprint if alert.active else None,
        "rule_id": alert.rule_id, "rule_version": alert.rule_version, "kind": alert.kind,
        "severity": alert.severity, "source": alert.source,
        "group_values": [list(pair) for pair in alert.group], "labels": dict(alert.labels),
        "status": alert.status, "flapping": alert.flapping, "count": alert.count,
        "first_seen_at": alert.first_seen_at, "last_seen_at": alert.last_seen_at,
        "last_matched_at": alert.last_matched_at, "opened_at": alert.opened_at,
        "observed": alert.observed, "sample_source": alert.sample_source,
        "sample_event_id": alert.sample_event_id, "clear_since": alert.clear_since,
        "acknowledged_at": alert.acknowledged_at, "acknowledged_by": alert.acknowledged_by,
        "resolved_at": alert.resolved_at, "resolved_by": alert.resolved_by,
        "resolution": alert.resolution, "notified_at": alert.notified_at,
        "repeats": alert.repeats, "reminders": alert.reminders, "owed": alert.owed,
        "updated_at": now,
    }


def alert_from_row(row: Row[Any]) -> Alert:
    return Alert(
        id=row.id, fingerprint=row.fingerprint, rule_id=row.rule_id,
        rule_version=row.rule_version, kind=row.kind, severity=row.severity, source=row.source,
        group=tuple((name, value) for name, value in row.group_values), labels=row.labels,
        status=row.status, count=row._mapping["count"],  # ``row.count`` is the tuple method
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at, last_matched_at=row.last_matched_at,
        opened_at=row.opened_at, observed=row.observed, sample_source=row.sample_source,
        sample_event_id=row.sample_event_id, flapping=bool(row.flapping),
        clear_since=row.clear_since, acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by, resolved_at=row.resolved_at,
        resolved_by=row.resolved_by, resolution=row.resolution, notified_at=row.notified_at,
        repeats=row.repeats, reminders=row.reminders, owed=bool(row.owed))
