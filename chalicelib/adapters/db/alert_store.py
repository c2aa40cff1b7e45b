"""SqlAlertStore: alerts for the API and the schedule, each change in its own unit of work.

A change (acknowledge, resolve, the schedule's sweep) is decided by a service on what it reads
through :meth:`SqlAlertStore.unit_of_work`: the alert re-read after its fingerprint's lock, its
flapping state, its condition's window or sighting. This store only reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, and_, or_, select

from chalicelib.adapters.db.alert_state import SqlAlertWork, alert_by_id, alert_from_row
from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import alert_fingerprints, alert_outbox, alert_timeline, alerts
from chalicelib.domain.alerts import (
    Alert,
    AlertCursor,
    AlertPage,
    AlertQuery,
    NoticeRecord,
    TimelineLine,
)


class SqlAlertStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list_alerts(self, query: AlertQuery) -> AlertPage:
        conditions = [
            alerts.c.status.in_(query.statuses) if query.statuses else None,
            alerts.c.severity.in_(query.severities) if query.severities else None,
            alerts.c.rule_id == query.rule if query.rule else None,
            alerts.c.source == query.source if query.source else None,
            alerts.c.opened_at >= query.since if query.since else None,
            alerts.c.opened_at < query.until if query.until else None,
        ]
        if query.after is not None:
            conditions.append(
                or_(
                    alerts.c.opened_at < query.after.opened_at,
                    and_(
                        alerts.c.opened_at == query.after.opened_at,
                        alerts.c.id < query.after.alert_id,
                    ),
                )
            )
        statement = (
            select(alerts)
            .where(*(one for one in conditions if one is not None))
            .order_by(alerts.c.opened_at.desc(), alerts.c.id.desc())
            .limit(query.limit + 1)
        )
        with database_errors("listing alerts"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        page = [alert_from_row(row) for row in rows[: query.limit]]
        more = len(rows) > query.limit
        last = page[-1] if page else None
        cursor = (
            AlertCursor(last.opened_at, last.id).encode() if more and last and last.id else None
        )
        return AlertPage(page, cursor)

    def get(self, alert_id: int) -> Alert | None:
        with database_errors("reading an alert"), self._engine.connect() as conn:
            return alert_by_id(conn, alert_id)

    def history(self, alert_id: int) -> tuple[list[TimelineLine], list[NoticeRecord]]:
        with database_errors("reading an alert's timeline"), self._engine.connect() as conn:
            lines = [
                TimelineLine(row.at, row.kind, row.detail, row.actor, row.comment, row.outbox_id)
                for row in conn.execute(
                    select(alert_timeline)
                    .where(alert_timeline.c.alert_id == alert_id)
                    .order_by(alert_timeline.c.id)
                )
            ]
            notices = [
                NoticeRecord(
                    row.id,
                    row.transition,
                    row.kind,
                    row.status,
                    row.attempts,
                    row.created_at,
                    row.next_attempt_at,
                    row.settled_at,
                    row.last_error,
                    row.message_id,
                    row.silence_id,
                )
                for row in conn.execute(
                    select(alert_outbox)
                    .where(alert_outbox.c.alert_id == alert_id)
                    .order_by(alert_outbox.c.id)
                )
            ]
        return lines, notices

    def active_alerts(self) -> list[Alert]:
        with database_errors("listing active alerts"), self._engine.connect() as conn:
            rows = conn.execute(
                select(alerts).where(alerts.c.active_key.is_not(None)).order_by(alerts.c.id)
            ).all()
        return [alert_from_row(row) for row in rows]

    def flapping_fingerprints(self) -> list[tuple[str, str]]:
        with database_errors("settling flapping alerts"), self._engine.connect() as conn:
            rows = conn.execute(
                select(alert_fingerprints.c.fingerprint, alert_fingerprints.c.rule_id).where(
                    alert_fingerprints.c.flapping.is_(True)
                )
            ).all()
        return [(row.fingerprint, row.rule_id) for row in rows]

    @contextmanager
    def unit_of_work(self, action: str = "changing an alert") -> Iterator[SqlAlertWork]:
        """``action`` names the work in a database error (``database unavailable while …``)."""
        with database_errors(action), self._engine.begin() as conn:
            yield SqlAlertWork(conn)
