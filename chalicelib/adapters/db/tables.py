"""The current schema as SQLAlchemy Core tables; ``sql/versions`` is its history.

A test builds the schema from the migrations on SQLite and MySQL and checks it matches these
tables, so neither can drift. Tables use InnoDB, utf8mb4 and a binary collation on MySQL: event ids
``"A1"`` and ``"a1"`` are different events, and a case-insensitive key would merge them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, UniqueConstraint

from chalicelib.adapters.db.types import BigId, LongText, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
MYSQL_OPTIONS: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

metadata = MetaData(naming_convention=NAMING)

raw_events = Table(
    "raw_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("payload", LongText, nullable=False),
    UniqueConstraint("source", "event_id"),
    **MYSQL_OPTIONS,
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("type", String(128), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime, nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("source", "event_id"),
    Index(None, "occurred_at", "id"),
    Index(None, "source", "occurred_at", "id"),
    **MYSQL_OPTIONS,
)

rejected_items = Table(
    "rejected_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item_key", String(255), nullable=False),
    Column("source", String(64), nullable=True),
    Column("event_id", String(128), nullable=True),
    Column("reason", String(255), nullable=False),
    Column("errors", JSON, nullable=False),
    Column("payload", LongText, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("rejected_at", UtcDateTime, nullable=False),
    UniqueConstraint("item_key"),
    **MYSQL_OPTIONS,
)
