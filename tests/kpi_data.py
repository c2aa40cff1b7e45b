"""Known rows for the KPI tests, written straight into the tables, and the figures counted back
from those tables in Python (not through the views), to compare the KPIs against."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from chalicelib.adapters.db.tables import alerts, events, rejected_items, rule_matches, uploads

START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday; every row lies in the week after it
NOW = START + timedelta(days=7)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def seed(engine: Engine) -> None:
    """Events of three sources over several days and hours, one event outside the week, rejected
    items (one without a source), two uploads, rule matches and alerts with known durations."""
    event_rows = [
        _event("checkout", "order.created", at(h), n)
        for n, h in enumerate([1, 1.5, 2, 25, 26, 49, 167.9])
    ]
    event_rows += [_event("checkout", "order.paid", at(h), 100 + n) for n, h in enumerate([1, 30])]
    event_rows += [_event("sensors", "reading", at(h), 200 + n) for n, h in enumerate([3, 3, 75])]
    event_rows += [_event("payments", "charge", at(h), 300 + n) for n, h in enumerate([5, 6])]
    event_rows.append(_event("checkout", "order.created", at(-1), 400))  # the week before
    with engine.begin() as conn:
        conn.execute(insert(events), event_rows)
        conn.execute(insert(rejected_items), _rejects())
        conn.execute(insert(uploads), _uploads())
        conn.execute(insert(rule_matches), _matches())
        conn.execute(insert(alerts), _alerts())


def _event(source: str, kind: str, when: datetime, n: int) -> dict[str, Any]:
    return {
        "source": source,
        "event_id": f"e{n}",
        "type": kind,
        "occurred_at": when,
        "received_at": when,
        "processed_at": when,
        "data": {},
    }


def _rejects() -> list[dict[str, Any]]:
    rows: list[tuple[str | None, float, str | None]] = [
        ("checkout", 2, None),
        ("checkout", 30, None),
        ("sensors", 4, "up1"),
    ]
    rows += [("sensors", 4.1, "up1"), (None, 10, None), ("sensors", -5, None)]
    return [
        {
            "item_key": f"k{n}",
            "source": source,
            "reason": "invalid",
            "errors": [],
            "payload": "{}",
            "received_at": at(hours),
            "rejected_at": at(hours),
            "upload_id": upload,
            "line": n if upload else None,
        }
        for n, (source, hours, upload) in enumerate(rows)
    ]


def _uploads() -> list[dict[str, Any]]:
    def upload(key: str, source: str, created: float, seconds: float | None) -> dict[str, Any]:
        done = at(created) + timedelta(seconds=seconds) if seconds is not None else None
        return {
            "id": key,
            "source": source,
            "filename": f"{key}.csv",
            "object_key": f"incoming/{source}/{key}.csv",
            "origin": "direct",
            "status": "complete" if done else "importing",
            "rows_seen": 200 if done else None,
            "rows_stored": 198 if done else None,
            "rows_duplicate": 0 if done else None,
            "rows_rejected": 2 if done else None,
            "created_at": at(created),
            "landed_at": at(created),
            "completed_at": done,
        }

    return [upload("up1", "sensors", 4, 8.0), upload("up2", "checkout", 50, None)]


def _matches() -> list[dict[str, Any]]:
    rows = [("big-order", "checkout", 1), ("big-order", "checkout", 25), ("big-order", None, 26)]
    rows += [("cold", "sensors", 3), ("cold", "sensors", -2)]
    return [
        {
            "rule_id": rule,
            "rule_version": "v1",
            "kind": "event",
            "match_key": f"m{n}",
            "fingerprint": f"f{n}",
            "group_values": {},
            "source": source,
            "occurred_at": at(hours),
            "matched_at": at(hours),
        }
        for n, (rule, source, hours) in enumerate(rows)
    ]


# (rule, severity, source, opened at hour, seconds to acknowledge, seconds to resolve)
ALERTS = [
    ("big-order", "high", "checkout", 1, 60.0, 600.0),
    ("big-order", "high", "checkout", 2, 120.0, 1200.0),
    ("big-order", "high", "checkout", 3, 300.0, None),
    ("big-order", "high", "checkout", 4, None, 90.0),
    ("cold", "low", "sensors", 5, None, None),
    ("cold", "low", "sensors", -3, 10.0, 10.0),  # the week before
]


def _alerts() -> list[dict[str, Any]]:
    def later(opened: datetime, seconds: float | None) -> datetime | None:
        return None if seconds is None else opened + timedelta(seconds=seconds)

    rows: list[dict[str, Any]] = []
    for n, (rule, severity, source, hours, ack, resolve) in enumerate(ALERTS):
        opened = at(hours)
        rows.append(
            {
                "fingerprint": f"f{n}",
                "active_key": None if resolve else f"f{n}",
                "rule_id": rule,
                "rule_version": "v1",
                "kind": "event",
                "severity": severity,
                "source": source,
                "group_values": {},
                "labels": {},
                "status": "resolved" if resolve else "open",
                "flapping": False,
                "count": 1,
                "first_seen_at": opened,
                "last_seen_at": opened,
                "last_matched_at": opened,
                "opened_at": opened,
                "acknowledged_at": later(opened, ack),
                "resolved_at": later(opened, resolve),
                "repeats": 0,
                "reminders": 0,
                "owed": False,
                "updated_at": opened,
            }
        )
    return rows


def counted_events(
    engine: Engine, since: datetime, until: datetime, bucket: str = "day"
) -> Counter[tuple[str, str, str]]:
    """Events per (source, type, bucket) counted from the events table in Python."""
    with engine.connect() as conn:
        rows = conn.execute(select(events.c.source, events.c.type, events.c.occurred_at)).all()
    shape = {"day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H:00:00Z", "minute": "%Y-%m-%dT%H:%M:00Z"}[
        bucket
    ]
    return Counter(
        (row.source, row.type, row.occurred_at.strftime(shape))
        for row in rows
        if since <= row.occurred_at < until
    )


def counted(
    engine: Engine, table: Any, at_column: str, key: str, since: datetime, until: datetime
) -> Counter[Any]:
    """Rows of ``table`` per ``key`` with ``at_column`` in range, counted in Python."""
    with engine.connect() as conn:
        rows = conn.execute(select(table.c[key], table.c[at_column])).all()
    return Counter(row[0] for row in rows if since <= row[1] < until)
