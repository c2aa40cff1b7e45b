"""Fixtures of the fault suite: fresh migrated databases of one kind, and the app on moto.

Each fault test runs one workload twice, cleanly into one fresh database and with the fault into
another, and compares the two; ``fresh_database`` makes as many as a test needs, on SQLite (a file
each) or MySQL (a database each, with a random name, dropped at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fresh_mysql_database, migrated
from tests.faults.harness import CHUNK_BYTES, Tripline


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def fresh_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], str]]:
    """Make a migrated, empty database named after its role; each call gives a new one."""
    with ExitStack() as databases:

        def make(role: str) -> str:
            if request.param == "sqlite":
                return migrated(f"sqlite:///{tmp_path / f'{role}.db'}")
            return migrated(databases.enter_context(fresh_mysql_database(f"tripline_fault_{role}")))

        yield make


@pytest.fixture
def database_url(fresh_database: Callable[[str], str]) -> str:
    """The database ``app_env`` points the app at first: the faulty run's."""
    return fresh_database("faulty")


@pytest.fixture
def tripline(client: Any, app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Tripline:
    """The app on moto and the real ``rules/``, CSV files cut into chunks of a few rows; a failed
    message comes back at once (no backoff), so a test polls instead of waiting."""
    monkeypatch.setenv("TRIPLINE_CSV_CHUNK_BYTES", str(CHUNK_BYTES))
    monkeypatch.setenv("TRIPLINE_RETRY_FIRST_SECONDS", "0")
    return Tripline(client, app_env, monkeypatch)
