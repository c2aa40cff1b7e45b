"""Keyed bulk inserts of events, written as the driver's own statements: the CSV path's hot loop.

Measured on a 20,000-row chunk into MariaDB: SQLAlchemy's bind processing and PyMySQL's
per-value escaping took 0.75 s of 1.1 s; the server took 0.22 s. Here each row becomes one
literal tuple with the values formatted once (timestamps in the stored form ``UtcDateTime`` uses,
JSON by the C encoder, strings through PyMySQL's translate table), and rows go in multi-row
statements of at most ``ROWS_PER_STATEMENT``. SQLite gets plain tuples for ``executemany``.
The statements keep the keyed-insert rule of ``upsert.py``: an existing ``(source, event_id)``
is left untouched, and nothing is downgraded to a warning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from chalicelib.domain.events import RowEvent

COLUMNS = (
    "source",
    "event_id",
    "type",
    "occurred_at",
    "received_at",
    "processed_at",
    "data",
    "upload_id",
    "line",
)
ROWS_PER_STATEMENT = 2000
# Built from the constant column names; every value is escaped by the driver (MySQL) or bound (SQLite).
SQLITE_INSERT = (
    f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES "  # noqa: S608
    f"({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (source, event_id) DO NOTHING"
)
MYSQL_HEAD = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES "  # noqa: S608
MYSQL_TAIL = " ON DUPLICATE KEY UPDATE source = source"
STAMP = "%Y-%m-%d %H:%M:%S.%f"


def insert_row_events(conn: Connection, rows: Sequence[RowEvent], processed_at: datetime) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _sqlite(conn, rows, processed_at)
    elif dialect in ("mysql", "mariadb"):
        _mysql(conn, rows, processed_at)
    else:
        raise NotImplementedError(f"no bulk event insert for the {dialect} dialect")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP)


def _values(one: RowEvent, processed: str) -> tuple[Any, ...]:
    event = one.event
    return (
        event.source,
        event.event_id,
        event.type,
        _stamp(event.occurred_at),
        _stamp(event.received_at),
        processed,
        json.dumps(event.data, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
        one.upload_id,
        one.line,
    )


def _sqlite(conn: Connection, rows: Sequence[RowEvent], processed_at: datetime) -> None:
    processed = _stamp(processed_at)
    conn.exec_driver_sql(SQLITE_INSERT, [_values(one, processed) for one in rows])


def _mysql(conn: Connection, rows: Sequence[RowEvent], processed_at: datetime) -> None:
    """On the transaction's own DB-API connection, escaped for the server's current
    ``NO_BACKSLASH_ESCAPES`` mode; executed without parameters, so ``%`` in data stays data.

    Timestamps are digits and punctuation we formatted: they need no escaping. Source, type and
    upload id repeat across a chunk and are escaped once each.
    """
    from pymysql.constants import SERVER_STATUS
    from pymysql.converters import escape_string

    driver: Any = conn.connection.dbapi_connection
    quotes_only = driver.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES

    def escape(text: str) -> str:
        return text.replace("'", "''") if quotes_only else escape_string(text)

    repeated: dict[str, str] = {}

    def once(text: str) -> str:
        found = repeated.get(text)
        if found is None:
            found = repeated[text] = escape(text)
        return found

    processed = _stamp(processed_at)
    cursor = driver.cursor()
    try:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            tuples = []
            for one in rows[start : start + ROWS_PER_STATEMENT]:
                event = one.event
                data = json.dumps(
                    event.data, ensure_ascii=False, separators=(",", ":"), allow_nan=False
                )
                tuples.append(
                    f"('{once(event.source)}','{escape(event.event_id)}','{once(event.type)}',"
                    f"'{_stamp(event.occurred_at)}','{_stamp(event.received_at)}','{processed}',"
                    f"'{escape(data)}','{once(one.upload_id)}',{int(one.line)})"
                )
            cursor.execute(MYSQL_HEAD + ",".join(tuples) + MYSQL_TAIL)
    finally:
        cursor.close()
