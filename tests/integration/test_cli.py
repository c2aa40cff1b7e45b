"""`tripline db upgrade` and `tripline db sql`, as an operator runs them."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from chalicelib import bootstrap
from chalicelib.adapters.db.engine import make_engine
from chalicelib.cli import main


def test_db_upgrade_migrates_the_configured_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN DATABASE_URL pointing at a database (already at head: the command must be idempotent)
    monkeypatch.setenv("DATABASE_URL", database_url)
    bootstrap.reset()
    # WHEN the command runs
    code = main(["db", "upgrade"])
    bootstrap.reset()
    # THEN it succeeds, says where, and the tables are there
    assert code == 0
    assert "database at head" in capsys.readouterr().out
    engine = make_engine(database_url)
    assert {"events", "raw_events", "rejected_items"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_db_upgrade_with_bad_settings_names_each_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://nope")
    monkeypatch.setenv("TRIPLINE_PAGE_SIZE", "many")
    bootstrap.reset()
    code = main(["db", "upgrade"])
    bootstrap.reset()
    err = capsys.readouterr().err
    assert code == 2
    assert "DATABASE_URL" in err and "TRIPLINE_PAGE_SIZE" in err


def test_db_sql_prints_mysql_ddl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "sql"]) == 0
    assert "ENGINE=InnoDB" in capsys.readouterr().out
