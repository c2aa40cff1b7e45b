"""Alert state inside a transaction: the reads a service decides on, and the writes it hands back.

Every change to a fingerprint's alerts (new matches in the processor, the schedule's sweep, an
acknowledgement through the API) first locks that fingerprint's row in ``alert_fingerprints``, in
key order, then reads the active alert, so two writers never decide on the same stale alert. The
decision is the services' (:mod:`chalicelib.services.alerting`), made with the domain's lifecycle;
this module only reads and writes rows. What a change says to send is written to
``alert_outbox`` in the same transaction as the alert, keyed by alert and transition, so a
transition is queued exactly once, and is never queued for a change that rolled back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from chalicelib.adapters.db.new_rows import table_shape, write_over
from chalicelib.adapters.db.tables import (
    alert_fingerprints,
    alert_outbox,
    alert_timeline,
    alerts,
    rule_groups,
)
from chalicelib.adapters.db.upsert import insert_missing, insert_or_advance
from chalicelib.adapters.db.window_state import read_buckets
from chalicelib.domain.alerts import Alert, AlertChange, Happening
from chalicelib.domain.rules import BucketRead, WindowBucket

ALERTS_PER_STATEMENT = 200  # fingerprints read, or alerts updated, in one statement


class SqlAlertWork:
    """The alert side of one open transaction (``AlertWork``). ``notices`` is the status new
    outbox rows are written with: ``pending`` (to send), or ``suppressed`` (a replay asked for no
    notifications: recorded, settled at once, never sent)."""

    def __init__(self, conn: Connection, notices: str = "pending") -> None:
        self._conn = conn
        self._notices = notices

    def lock_fingerprints(self, rule_ids: Mapping[str, str], now: datetime) -> dict[str, bool]:
        return lock_fingerprints(self._conn, rule_ids, now)

    def flapping(self, fingerprint: str) -> bool:
        return bool(
            self._conn.scalar(
                select(alert_fingerprints.c.flapping).where(
                    alert_fingerprints.c.fingerprint == fingerprint
                )
            )
        )

    def recent_opens(self, fingerprint: str, since: datetime) -> int:
        return int(
            self._conn.scalar(
                select(func.count())
                .select_from(alerts)
                .where(alerts.c.fingerprint == fingerprint, alerts.c.opened_at > since)
            )
            or 0
        )

    def end_flapping(self, fingerprint: str) -> None:
        self._conn.execute(
            update(alert_fingerprints)
            .where(alert_fingerprints.c.fingerprint == fingerprint)
            .values(flapping=False, flapping_since=None)
        )

    def active_alert(self, fingerprint: str) -> Alert | None:
        row = self._conn.execute(select(alerts).where(alerts.c.active_key == fingerprint)).first()
        return None if row is None else alert_from_row(row)

    def active_alerts(self, fingerprints: Collection[str]) -> dict[str, Alert]:
        found: dict[str, Alert] = {}
        wanted = sorted(fingerprints)
        for start in range(0, len(wanted), ALERTS_PER_STATEMENT):
            part = wanted[start : start + ALERTS_PER_STATEMENT]
            rows = self._conn.execute(select(alerts).where(alerts.c.active_key.in_(part)))
            found.update((row.fingerprint, alert_from_row(row)) for row in rows)
        return found

    def alert(self, alert_id: int) -> Alert | None:
        return alert_by_id(self._conn, alert_id)

    def window(
        self,
        rule_id: str,
        state_version: str,
        fingerprint: str,
        span: tuple[datetime, datetime],
        tokens: bool,
    ) -> list[WindowBucket]:
        low, high = span
        read = BucketRead(rule_id, state_version, (fingerprint,), low, high, tokens)
        return read_buckets(self._conn, [read]).get((rule_id, state_version, fingerprint), [])

    def last_seen(self, rule_id: str, state_version: str, fingerprint: str) -> datetime | None:
        seen: datetime | None = self._conn.scalar(
            select(rule_groups.c.last_seen_at).where(
                rule_groups.c.rule_id == rule_id,
                rule_groups.c.state_version == state_version,
                rule_groups.c.fingerprint == fingerprint,
            )
        )
        return seen

    def write_change(self, change: AlertChange, now: datetime) -> None:
        write_change(self._conn, change, now, self._notices)

    def write_changes(self, changes: Sequence[AlertChange], now: datetime) -> None:
        """A change that only updates a stored alert (matches added to it: nothing to add to
        its timeline, send or flag) goes with the others like it, one statement for all; any
        other change is written on its own."""
        updates: list[Alert] = []
        for change in changes:
            if change.alert.id is not None and not (
                change.timeline or change.notices or change.flapping is not None
            ):
                updates.append(change.alert)
            else:
                write_change(self._conn, change, now, self._notices)
        for start in range(0, len(updates), ALERTS_PER_STATEMENT):
            update_alerts(self._conn, updates[start : start + ALERTS_PER_STATEMENT], now)


def lock_fingerprints(
    conn: Connection, rule_ids: Mapping[str, str], now: datetime
) -> dict[str, bool]:
    """Create or touch each fingerprint's row, in key order (on MySQL the upsert holds each row
    until the transaction ends); returns whether each is flapping."""
    insert_or_advance(
        conn,
        alert_fingerprints,
        [
            {
                "fingerprint": print_,
                "rule_id": rule_ids[print_],
                "flapping": False,
                "flapping_since": None,
                "touched_at": now,
            }
            for print_ in sorted(rule_ids)
        ],
        ("fingerprint",),
        "touched_at",
    )
    rows = conn.execute(
        select(alert_fingerprints.c.fingerprint, alert_fingerprints.c.flapping).where(
            alert_fingerprints.c.fingerprint.in_(list(rule_ids))
        )
    )
    return {row.fingerprint: bool(row.flapping) for row in rows}


def alert_by_id(conn: Connection, alert_id: int) -> Alert | None:
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    return None if row is None else alert_from_row(row)


def write_change(
    conn: Connection, change: AlertChange, now: datetime, notices: str = "pending"
) -> None:
    """Store the alert, its timeline lines and its notices (with status ``notices``; any but
    ``pending`` is settled now)."""
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
    insert_missing(
        conn,
        alert_outbox,
        [
            {
                "alert_id": alert_id,
                "transition": notice.transition,
                "kind": notice.kind,
                "rule_id": alert.rule_id,
                "status": notices,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "settled_at": None if notices == "pending" else now,
            }
            for notice in change.notices
        ],
        ("alert_id", "transition"),
    )
    if change.flapping is not None:
        conn.execute(
            update(alert_fingerprints)
            .where(alert_fingerprints.c.fingerprint == alert.fingerprint)
            .values(flapping=change.flapping, flapping_since=now if change.flapping else None)
        )


def update_alerts(conn: Connection, changed: Sequence[Alert], now: datetime) -> None:
    """Store stored alerts' new values in one statement (``new_rows.write_over``)."""
    names = [name for name, _ in ALERT_ROWS.columns[1:]]
    rows = []
    for alert in changed:
        values = alert_row(alert, now)
        rows.append((alert.id, *(values[name] for name in names)))
    write_over(conn, ALERT_ROWS, rows)


def add_timeline(
    conn: Connection,
    alert_id: int,
    lines: Iterable[Happening],
    at: datetime,
    outbox_id: int | None = None,
) -> None:
    rows = [
        {
            "alert_id": alert_id,
            "at": at,
            "kind": line.kind,
            "detail": line.detail[:1000],
            "actor": line.actor,
            "comment": line.comment,
            "outbox_id": outbox_id,
        }
        for line in lines
    ]
    if rows:
        conn.execute(alert_timeline.insert(), rows)


# ``alert_row``'s columns, the id first, as the write path's literals
ALERT_ROWS = table_shape(alerts, tuple(alerts.c.keys()), ("id",))


def alert_row(alert: Alert, now: datetime) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint,
        "active_key": alert.fingerprint if alert.active else None,
        "rule_id": alert.rule_id,
        "rule_version": alert.rule_version,
        "kind": alert.kind,
        "severity": alert.severity,
        "source": alert.source,
        "group_values": [list(pair) for pair in alert.group],
        "labels": dict(alert.labels),
        "status": alert.status,
        "flapping": alert.flapping,
        "count": alert.count,
        "first_seen_at": alert.first_seen_at,
        "last_seen_at": alert.last_seen_at,
        "last_matched_at": alert.last_matched_at,
        "opened_at": alert.opened_at,
        "observed": alert.observed,
        "sample_source": alert.sample_source,
        "sample_event_id": alert.sample_event_id,
        "clear_since": alert.clear_since,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by,
        "resolved_at": alert.resolved_at,
        "resolved_by": alert.resolved_by,
        "resolution": alert.resolution,
        "notified_at": alert.notified_at,
        "repeats": alert.repeats,
        "reminders": alert.reminders,
        "owed": alert.owed,
        "updated_at": now,
    }


def alert_from_row(row: Row[Any]) -> Alert:
    return Alert(
        id=row.id,
        fingerprint=row.fingerprint,
        rule_id=row.rule_id,
        rule_version=row.rule_version,
        kind=row.kind,
        severity=row.severity,
        source=row.source,
        group=tuple((name, value) for name, value in row.group_values),
        labels=row.labels,
        status=row.status,
        count=row._mapping["count"],  # ``row.count`` is the tuple method
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        last_matched_at=row.last_matched_at,
        opened_at=row.opened_at,
        observed=row.observed,
        sample_source=row.sample_source,
        sample_event_id=row.sample_event_id,
        flapping=bool(row.flapping),
        clear_since=row.clear_since,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        resolution=row.resolution,
        notified_at=row.notified_at,
        repeats=row.repeats,
        reminders=row.reminders,
        owed=bool(row.owed),
    )
