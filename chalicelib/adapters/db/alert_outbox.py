"""SqlAlertOutbox: the notifier's side of ``alert_outbox``: claim what is due, settle it once.

A row is claimed with a conditional UPDATE that sets a lease, so the processor's notifier and the
schedule's, running at once, never both take it; a notifier that dies after publishing and before
settling leaves the lease to expire, and the row is sent again (at least once, as SNS itself is).
Settling is conditional on the row still pending, so it happens once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from chalicelib.adapters.db.alert_state import add_timeline, alert_from_row, lock_fingerprints
from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import alert_outbox, alerts, events
from chalicelib.domain.alerts import Alert, Happening, PendingNotice


class SqlAlertOutbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingNotice]:
        box = alert_outbox
        free = or_(box.c.claimed_until.is_(None), box.c.claimed_until < now)
        due = and_(box.c.status == "pending", box.c.next_attempt_at <= now, free)
        with database_errors("claiming notifications"), self._engine.begin() as conn:
            rows = conn.execute(
                select(box.c.id, box.c.alert_id, box.c.kind, box.c.transition, box.c.attempts)
                .where(due)
                .order_by(box.c.id)
                .limit(limit)
            ).all()
            claimed = [
                row
                for row in rows
                if conn.execute(
                    update(box)
                    .where(box.c.id == row.id, due)
                    .values(claimed_until=now + timedelta(seconds=lease_seconds))
                ).rowcount
                == 1
            ]
            found = {
                alert.id: alert
                for alert in (
                    alert_from_row(row)
                    for row in conn.execute(
                        select(alerts).where(alerts.c.id.in_({row.alert_id for row in claimed}))
                    )
                )
            }
            samples = _samples(conn, list(found.values()))
            quiet = (  # alerts a replay opened without notifications
                set(
                    conn.scalars(
                        select(box.c.alert_id)
                        .where(box.c.alert_id.in_(list(found)), box.c.status == "suppressed")
                        .distinct()
                    )
                )
                if found
                else set()
            )
        return [
            PendingNotice(
                row.id,
                row.kind,
                row.transition,
                row.attempts,
                found[row.alert_id],
                samples.get(
                    (found[row.alert_id].sample_source, found[row.alert_id].sample_event_id)
                ),
                row.alert_id in quiet,
            )
            for row in claimed
        ]

    def settle(
        self,
        outbox_id: int,
        status: str,
        at: datetime,
        detail: str,
        *,
        message_id: str | None = None,
        silence_id: str | None = None,
        error: str | None = None,
        owe_alert: bool = False,
    ) -> None:
        box = alert_outbox
        with database_errors("settling a notification"), self._engine.begin() as conn:
            row = conn.execute(select(box).where(box.c.id == outbox_id)).first()
            if row is None or row.status != "pending":
                return
            if owe_alert:
                alert = conn.execute(
                    select(alerts.c.fingerprint, alerts.c.rule_id).where(
                        alerts.c.id == row.alert_id
                    )
                ).one()
                lock_fingerprints(conn, {alert.fingerprint: alert.rule_id}, at)
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id == row.alert_id, alerts.c.active_key.is_not(None))
                    .values(owed=True, updated_at=at)
                )
            error_text = {"last_error": error[:500]} if error is not None else {}
            done = conn.execute(
                update(box)
                .where(box.c.id == outbox_id, box.c.status == "pending")
                .values(
                    status=status,
                    settled_at=at,
                    message_id=message_id,
                    silence_id=silence_id,
                    claimed_until=None,
                    **error_text,
                )
            )
            if done.rowcount == 1:
                add_timeline(conn, row.alert_id, [Happening(status, detail)], at, outbox_id)

    def retry(self, outbox_id: int, next_attempt_at: datetime, error: str, at: datetime) -> None:
        box = alert_outbox
        with database_errors("rescheduling a notification"), self._engine.begin() as conn:
            row = conn.execute(
                select(box.c.alert_id, box.c.attempts, box.c.status).where(box.c.id == outbox_id)
            ).first()
            if row is None or row.status != "pending":
                return
            conn.execute(
                update(box)
                .where(box.c.id == outbox_id)
                .values(
                    attempts=row.attempts + 1,
                    next_attempt_at=next_attempt_at,
                    last_error=error[:500],
                    claimed_until=None,
                )
            )
            detail = (
                f"publishing failed ({error[:300]}); attempt {row.attempts + 1}, "
                f"next at {next_attempt_at.isoformat()}"
            )
            add_timeline(conn, row.alert_id, [Happening("retried", detail)], at, outbox_id)


def _samples(conn: Connection, found: list[Alert]) -> dict[tuple[Any, Any], dict[str, Any]]:
    """Each alert's latest matching event as its rule saw it, for the email's message and
    sample line: the data, then the event's own fields, which win as they do when rules run (a
    message naming ``{id}`` must not read null in the email when the dry-run showed the id)."""
    keys = {(one.sample_source, one.sample_event_id) for one in found if one.sample_event_id}
    if not keys:
        return {}
    rows = conn.execute(
        select(
            events.c.source,
            events.c.event_id,
            events.c.type,
            events.c.occurred_at,
            events.c.received_at,
            events.c.data,
        ).where(
            events.c.source.in_({source for source, _ in keys}),
            events.c.event_id.in_({event_id for _, event_id in keys}),
        )
    )
    return {
        (row.source, row.event_id): dict(row.data)
        | {
            "source": row.source,
            "type": row.type,
            "id": row.event_id,
            "occurred_at": row.occurred_at,
            "received_at": row.received_at,
        }
        for row in rows
        if (row.source, row.event_id) in keys
    }
