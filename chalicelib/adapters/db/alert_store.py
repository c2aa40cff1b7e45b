"""SqlAlertStore: alerts for the API and the schedule, each change under its fingerprint's lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, or_, select

from chalicelib.adapters.db.alert_state import (
    active_alert,
    alert_by_id,
    alert_from_row,
    flap_state,
    lock_fingerprints,
    write_change,
)
from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import (
    alert_fingerprints,
    alert_outbox,
    alert_timeline,
    alerts,
    rule_groups,
    rule_window_entries,
)
from chalicelib.domain.alert_conditions import condition_clear
from chalicelib.domain.alert_lifecycle import sweep
from chalicelib.domain.alert_model import Alert, AlertChange, FlapState
from chalicelib.domain.alert_queries import AlertCursor, AlertPage, AlertQuery
from chalicelib.domain.rule_model import AlertPolicy, Rule
from chalicelib.domain.rule_windows import WindowEntry
from chalicelib.ports import NoticeRecord, TimelineLine


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
            conditions.append(or_(alerts.c.opened_at < query.after.opened_at, and_(
                alerts.c.opened_at == query.after.opened_at, alerts.c.id < query.after.alert_id)))
        statement = (select(alerts).where(*(one for one in conditions if one is not None))
                     .order_by(alerts.c.opened_at.desc(), alerts.c.id.desc())
                     .limit(query.limit + 1))
        with database_errors("listing alerts"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        page = [alert_from_row(row) for row in rows[:query.limit]]
        more = len(rows) > query.limit
        last = page[-1] if page else None
        cursor = AlertCursor(last.opened_at, last.id).encode() if more and last and last.id else None
        return AlertPage(page, cursor)

    def get(self, alert_id: int) -> Alert | None:
        with database_errors("reading an alert"), self._engine.connect() as conn:
            return alert_by_id(conn, alert_id)

    def history(self, alert_id: int) -> tuple[list[TimelineLine], list[NoticeRecord]]:
        with database_errors("reading an alert's timeline"), self._engine.connect() as conn:
            lines = [TimelineLine(row.at, row.kind, row.detail, row.actor, row.comment,
                                  row.outbox_id) for row in conn.execute(
                select(alert_timeline).where(alert_timeline.c.alert_id == alert_id)
                .order_by(alert_timeline.c.id))]
            notices = [NoticeRecord(row.id, row.transition, row.kind, row.status, row.attempts,
                                    row.created_at, row.next_attempt_at, row.settled_at,
                                    row.last_error, row.message_id, row.silence_id)
                       for row in conn.execute(select(alert_outbox)
                                               .where(alert_outbox.c.alert_id == alert_id)
                                               .order_by(alert_outbox.c.id))]
        return lines, notices

    def change(self, alert_id: int, decide: Callable[[Alert, FlapState], AlertChange],
               policy: AlertPolicy, now: datetime) -> Alert | None:
        with database_errors("changing an alert"), self._engine.begin() as conn:
            alert = _locked(conn, alert_id, now)
            if alert is None:
                return None
            flap = flap_state(conn, alert.fingerprint, _flapping(conn, alert), policy, now)
            change = decide(alert, flap)
            write_change(conn, change, now)
            return change.alert

    def active_alerts(self) -> list[Alert]:
        with database_errors("listing active alerts"), self._engine.connect() as conn:
            rows = conn.execute(select(alerts).where(alerts.c.active_key.is_not(None))
                                .order_by(alerts.c.id)).all()
        return [alert_from_row(row) for row in rows]

    def sweep(self, alert_id: int, rule: Rule | None, silenced: Callable[[Alert], bool],
              now: datetime) -> AlertChange | None:
        with database_errors("sweeping an alert"), self._engine.begin() as conn:
            alert = _locked(conn, alert_id, now)
            if alert is None or not alert.active:
                return None
            policy = rule.alerting if rule is not None else AlertPolicy()
            flap = flap_state(conn, alert.fingerprint, _flapping(conn, alert), policy, now)
            clear = rule is not None and condition_clear(
                alert, rule, now, window=_window(conn, alert, rule, now),
                last_seen_at=_last_seen(conn, alert, rule))
            change = sweep(alert, rule, clear=clear, flap=flap, silenced=silenced(alert),
                           now=now)
            if change is not None:
                write_change(conn, change, now)
            return change

    def settle_flapping(self, policies: Mapping[str, AlertPolicy], now: datetime) -> int:
        with database_errors("settling flapping alerts"), self._engine.connect() as conn:
            flapping = conn.execute(select(alert_fingerprints.c.fingerprint,
                                           alert_fingerprints.c.rule_id)
                                    .where(alert_fingerprints.c.flapping.is_(True))).all()
        settled = 0
        for print_, rule_id in flapping:
            with database_errors("settling flapping alerts"), self._engine.begin() as conn:
                heads = lock_fingerprints(conn, {print_: rule_id}, now)
                if active_alert(conn, print_) is not None:
                    continue  # the sweep of its alert settles it, and owes the alert's state
                state = flap_state(conn, print_, heads[print_],
                                   policies.get(rule_id, AlertPolicy()), now)
                settled += int(heads[print_] and not state.flapping)
        return settled


def _locked(conn: Connection, alert_id: int, now: datetime) -> Alert | None:
    """The alert re-read after its fingerprint is locked: what was read before may be stale."""
    alert = alert_by_id(conn, alert_id)
    if alert is None:
        return None
    lock_fingerprints(conn, {alert.fingerprint: alert.rule_id}, now)
    return alert_by_id(conn, alert_id)


def _flapping(conn: Connection, alert: Alert) -> bool:
    return bool(conn.scalar(select(alert_fingerprints.c.flapping)
                            .where(alert_fingerprints.c.fingerprint == alert.fingerprint)))


def _window(conn: Connection, alert: Alert, rule: Rule, now: datetime) -> list[WindowEntry]:
    if rule.threshold is None:
        return []
    table = rule_window_entries
    rows = conn.execute(select(table.c.occurred_at, table.c.source, table.c.event_id,
                               table.c.number, table.c.token).where(
        table.c.rule_id == rule.id, table.c.state_version == rule.state_version,
        table.c.fingerprint == alert.fingerprint,
        table.c.occurred_at > now - rule.threshold.within, table.c.occurred_at <= now))
    return [WindowEntry(row.occurred_at, row.source, row.event_id, row.number, row.token)
            for row in rows]


def _last_seen(conn: Connection, alert: Alert, rule: Rule) -> datetime | None:
    if rule.absence is None:
        return None
    seen: datetime | None = conn.scalar(select(rule_groups.c.last_seen_at).where(
        rule_groups.c.rule_id == rule.id, rule_groups.c.state_version == rule.state_version,
        rule_groups.c.fingerprint == alert.fingerprint))
    return seen
