"""The reference: the SQS handler a team would write without Tripline, on plain DB-API.

It does the least an honest handler can: ``json.loads`` each body, a few checks, UTC times, then
one transaction per batch that inserts the raw and the processed rows with ``executemany``, keyed
so that a redelivery changes nothing. It writes the same columns, in the same formats, into the
same tables as Tripline (the benchmark compares the stored rows), so the ratio measures what
Tripline's layers cost, not a difference in the work done. That includes the one field Tripline
derives for the workload's events (a ``shop`` order's ``total``, ``rules/sources/shop.yaml``),
computed here by hand: should a definition derive another field, the rows differ and the run stops.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

RAW_COLUMNS = "source, event_id, message_id, received_at, payload"
EVENT_COLUMNS = "source, event_id, type, occurred_at, received_at, processed_at, data"

Row = tuple[Any, ...]
Stamp = Callable[[datetime], Any]

# what Tripline adds to the data of the workload's declared sources, written as a team would
DERIVED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "shop": lambda data: {"total": data["quantity"] * data["unit_price"]},
}


def _utc(text: str) -> datetime:
    """Naive UTC, as both Tripline tables store time; raises on a timestamp without a zone."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def parse_record(record: dict[str, Any], processed_at: datetime, stamp: Stamp) -> tuple[Row, Row]:
    """One SQS record to its raw row and its processed row; ``ValueError`` if it is not an event."""
    message = json.loads(record["body"])
    item = message.get("item")
    if message.get("v") != 1 or not isinstance(item, dict):
        raise ValueError("not an event envelope")
    source, event_type = item["source"].strip().lower(), item["type"].strip()
    event_id = str(item.get("id", message["event_id"])).strip()
    received = stamp(_utc(message["received_at"]))
    occurred = stamp(_utc(item["occurred_at"])) if "occurred_at" in item else received
    raw = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    data = item.get("data", {})
    if derive := DERIVED.get(source):
        data = data | derive(data)
    return (
        (source, event_id, record["messageId"], received, raw),
        (source, event_id, event_type, occurred, received, stamp(processed_at), json.dumps(data)),
    )


def parse_batch(
    records: Sequence[dict[str, Any]], stamp: Stamp
) -> tuple[list[Row], list[Row], list[str]]:
    """Rows of the good records and the message ids of the bad ones (left for redelivery)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    raw_rows: list[Row] = []
    event_rows: list[Row] = []
    failed: list[str] = []
    for record in records:
        try:
            raw, event = parse_record(record, now, stamp)
        except (ValueError, KeyError, TypeError, AttributeError):
            failed.append(record["messageId"])
            continue
        raw_rows.append(raw)
        event_rows.append(event)
    return raw_rows, event_rows, failed


def _answer(failed: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": [{"itemIdentifier": one} for one in failed]}


def _sqlite_stamp(value: datetime) -> str:
    """The text SQLAlchemy's SQLite ``DateTime`` writes, so both contenders store equal rows."""
    return value.isoformat(" ", "microseconds")


class SqliteReferenceHandler:
    """``handler(event, context)`` on one ``sqlite3`` connection kept for the container's life.

    The pragmas are the ones Tripline's engine sets (WAL, ``synchronous=NORMAL``): without them
    the reference would pay a sync per commit that Tripline does not, and win or lose for that.
    """

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        raw_rows, event_rows, failed = parse_batch(event["Records"], _sqlite_stamp)
        with self._conn:
            self._conn.executemany(
                f"INSERT OR IGNORE INTO raw_events ({RAW_COLUMNS}) VALUES (?, ?, ?, ?, ?)", raw_rows
            )
            self._conn.executemany(
                f"INSERT OR IGNORE INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                event_rows,
            )
        return _answer(failed)

    def close(self) -> None:
        self._conn.close()


def reference_handler_for(url: str) -> SqliteReferenceHandler | MysqlReferenceHandler:
    """The reference handler for a ``sqlite:///path`` or ``mysql+pymysql://user@host/db`` URL."""
    if url.startswith("sqlite:///"):
        return SqliteReferenceHandler(url.removeprefix("sqlite:///"))
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return MysqlReferenceHandler(
        {
            "host": parts.hostname,
            "port": parts.port or 3306,
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "database": parts.path.lstrip("/"),
        }
    )


class MysqlReferenceHandler:
    """``handler(event, context)`` on one PyMySQL connection kept for the container's life.

    ``ON DUPLICATE KEY UPDATE source = source`` is Tripline's idempotent insert too (not ``INSERT
    IGNORE``, which hides real errors); PyMySQL sends each ``executemany`` as one multi-row INSERT.
    """

    def __init__(self, connect: dict[str, Any]) -> None:
        import pymysql

        self._conn = pymysql.connect(charset="utf8mb4", autocommit=False, **connect)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        raw_rows, event_rows, failed = parse_batch(event["Records"], lambda value: value)
        try:
            with self._conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO raw_events ({RAW_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
                    " ON DUPLICATE KEY UPDATE source = source",
                    raw_rows,
                )
                cursor.executemany(
                    f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON DUPLICATE KEY UPDATE source = source",
                    event_rows,
                )
            self._conn.commit()
        except Exception:
            self._conn.rollback()
            raise
        return _answer(failed)

    def close(self) -> None:
        self._conn.close()
