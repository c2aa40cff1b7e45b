"""The MySQL engine sends only the round trips a unit of work needs, and still survives a
connection the server dropped while it sat idle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from bench.round_trips import counted_round_trips
from chalicelib.adapters.db import engine as engine_module
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import events
from tests.conftest import MYSQL_SERVER_URL

pytestmark = pytest.mark.mysql


@pytest.fixture
def lambda_engine(mysql_database_url: str) -> Iterator[Engine]:
    """The engine a Lambda container builds: one connection."""
    engine = make_engine(mysql_database_url, single_connection=True)
    yield engine
    engine.dispose()


@pytest.fixture
def sent() -> Iterator[list[str]]:
    """Every command the driver sends to the server (queries, COMMIT, ROLLBACK, pings)."""
    with counted_round_trips() as commands:
        yield commands


def test_a_unit_of_work_on_a_busy_connection_sends_its_statements_and_commit_only(
    lambda_engine: Engine, sent: list[str]
) -> None:
    # GIVEN a connection used a moment ago
    with lambda_engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    sent.clear()
    # WHEN the next unit of work runs one statement
    with lambda_engine.begin() as conn:
        conn.execute(select(func.count()).select_from(events))
    # THEN the server hears that statement and the COMMIT: no ping before, no ROLLBACK after
    assert sent == ["SELECT", "COMMIT"]


def test_a_connection_returned_in_a_transaction_is_rolled_back(
    lambda_engine: Engine, sent: list[str]
) -> None:
    # GIVEN a raw connection that wrote and never finished its transaction
    raw = lambda_engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("SELECT 1")
    cursor.close()
    sent.clear()
    # WHEN it goes back to the pool
    raw.close()
    # THEN the pool rolls it back
    assert sent == ["ROLLBACK"]


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    lambda_engine: Engine, monkeypatch: pytest.MonkeyPatch, sent: list[str]
) -> None:
    # GIVEN the pooled connection, killed by the server while idle past the ping threshold
    with lambda_engine.connect() as conn:
        connection_id = conn.scalar(text("SELECT CONNECTION_ID()"))
    admin = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"KILL {int(connection_id)}"))
    admin.dispose()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", -1)
    sent.clear()
    # WHEN the next unit of work runs
    with lambda_engine.begin() as conn:
        new_id = conn.scalar(text("SELECT CONNECTION_ID()"))
    # THEN a ping found it dead and a new connection did the work
    assert new_id != connection_id
    assert sent[0] == "COMMAND-14"  # COM_PING, which carries no SQL
