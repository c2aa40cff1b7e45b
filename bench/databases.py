"""Fresh, migrated databases for one contender each, and the checks that keep the figures honest.

Each contender gets its own database built by Tripline's migrations, so both write into empty
tables with the same schema and indexes. After every pass the rows are counted, and the two
contenders' rows are compared, so a handler that skipped work could not post a better figure.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bench.reference import MysqlReferenceHandler, SqliteReferenceHandler, reference_handler_for
from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine

MYSQL_SERVER_URL = os.environ.get("TRIPLINE_BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
BACKENDS = ("sqlite", "mysql")
RUN_TAG = uuid.uuid4().hex[:8]


class BenchmarkError(RuntimeError):
    """A run that did not store exactly what it was given: its figure would be a lie."""


@dataclass(frozen=True)
class Database:
    backend: str
    url: str

    def reference_handler(self) -> SqliteReferenceHandler | MysqlReferenceHandler:
        return reference_handler_for(self.url)


@contextmanager
def fresh_database(backend: str, label: str, workdir: Path) -> Iterator[Database]:
    """A migrated, empty database that is removed afterwards, whatever happens."""
    if backend == "sqlite":
        path = workdir / f"{label}.db"
        try:
            yield _migrated(Database(backend, f"sqlite:///{path}"))
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with mysql_database(label) as url:
        yield _migrated(Database(backend, url))


@contextmanager
def mysql_database(label: str) -> Iterator[str]:
    """An empty MySQL database of this run (utf8mb4, binary collation), dropped afterwards,
    whatever happens; its URL."""
    name = f"tripline_bench_{RUN_TAG}_{label}"
    server = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        try:
            yield f"{MYSQL_SERVER_URL}/{name}"
        finally:
            with server.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    finally:
        server.dispose()


def _migrated(database: Database) -> Database:
    engine = make_engine(database.url)
    try:
        migrations.upgrade(engine)
    finally:
        engine.dispose()
    return database


@contextmanager
def _engine(database: Database) -> Iterator[Engine]:
    engine = make_engine(database.url)
    try:
        yield engine
    finally:
        engine.dispose()


def verify_counts(database: Database, expected: int, what: str) -> None:
    """Fail loudly unless every event is stored once, raw and processed, and nothing rejected."""
    with _engine(database) as engine, engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in ("raw_events", "events", "rejected_items")
        }
    if counts != {"raw_events": expected, "events": expected, "rejected_items": 0}:
        raise BenchmarkError(
            f"{what} on {database.backend}: expected {expected} events, stored {counts}"
        )


STORED_ROWS = text(
    "SELECT e.source, e.event_id, e.type, e.occurred_at, e.received_at, e.data, r.payload"
    " FROM events e JOIN raw_events r ON r.source = e.source AND r.event_id = e.event_id"
    " ORDER BY e.source, e.event_id"
)


def _stored_rows(database: Database) -> list[tuple[Any, ...]]:
    """The rows, ``data`` parsed: the JSON's spacing is the writer's choice, not its content."""
    with _engine(database) as engine, engine.connect() as conn:
        return [(*row[:5], json.loads(row[5]), *row[6:]) for row in conn.execute(STORED_ROWS)]


def verify_same_rows(tripline: Database, reference: Database) -> None:
    """Both contenders must have stored the same events, field by field (not ``processed_at``)."""
    ours, theirs = _stored_rows(tripline), _stored_rows(reference)
    if ours != theirs:
        first = next((pair for pair in zip(ours, theirs, strict=False) if pair[0] != pair[1]), None)
        raise BenchmarkError(
            f"Tripline and the reference stored different rows "
            f"({len(ours)} vs {len(theirs)}); first difference: {first}"
        )
