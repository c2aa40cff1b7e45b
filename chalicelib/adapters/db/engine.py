"""One engine per database URL, tuned per dialect; built on first use, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    # Lambda keeps a container warm for minutes between calls and RDS Proxy or the server may drop
    # idle connections: ping before use and recycle well inside the server's wait_timeout.
    # READ COMMITTED keeps InnoDB from taking gap locks on the unique keys our upserts probe.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=280,
        pool_size=2,
        max_overflow=2,
        isolation_level="READ COMMITTED",
        connect_args={"charset": "utf8mb4", "connect_timeout": 5, "read_timeout": 30,
                      "write_timeout": 30},
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the API read while the processor writes; NORMAL sync is durable across crashes
        # of the process (not of the OS) and several times faster than FULL.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
