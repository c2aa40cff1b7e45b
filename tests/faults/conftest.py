"""Fixtures of the fault suite: fresh migrated databases of one kind, and the app on moto.

Each fault test runs one workload twice, cleanly into one fresh database and with the fault into
another, and compares the two; ``fresh_database`` makes as many as a test needs, on SQLite (a file
each) or MySQL (a database each, with a random name, dropped at the end).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine
from tests.conftest import MYSQL_SERVER_URL
from tests.faults.harness import CHUNK_BYTES, Tripline


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Make a migrated, empty database named after its role; each call gives a new one."""
    created: list[str] = []
    server = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")

    def make(role: str) -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'{role}.db'}"
        else:
            name = f"tripline_fault_{role}_{uuid.uuid4().hex[:8]}"
            try:
                with server.connect() as conn:
                    conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 "
                                      "COLLATE utf8mb4_bin"))
            except Exception as exc:  # the server is part of the suite: say why, do not skip
                pytest.fail(f"MySQL at {MYSQL_SERVER_URL} unreachable ({exc}); run `make test`")
            created.append(name)
            url = f"{MYSQL_SERVER_URL}/{name}"
        engine = make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        return url

    yield make
    with server.connect() as conn:
        for name in created:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    server.dispose()


@pytest.fixture
def database_url(fresh_database: Callable[[str], str]) -> str:
    """The database ``app_env`` points the app at first: the faulty run's."""
    return fresh_database("faulty")


@pytest.fixture
def tripline(client: Any, app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Tripline:
    """The app on moto and the real ``rules/``, CSV files cut into chunks of a few rows."""
    monkeypatch.setenv("TRIPLINE_CSV_CHUNK_BYTES", str(CHUNK_BYTES))
    return Tripline(client, app_env, monkeypatch)
