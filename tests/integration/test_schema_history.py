"""The migrations in sql/ and the tables in tables.py describe the same schema, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import metadata


def test_migrated_schema_matches_the_tables(engine: Engine) -> None:
    # GIVEN a database built only from the migrations (the fixture runs them)
    # WHEN alembic compares it with tables.py, types included
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    # THEN there is nothing to add, drop or alter
    assert differences == []


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    # GIVEN a database at head WHEN upgrade runs again THEN it is still at the one head revision
    migrations.upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0009"
    assert {"raw_events", "events", "rejected_items", "uploads", "upload_chunks"} <= set(
        inspect(engine).get_table_names()
    )


@pytest.mark.mysql
def test_mysql_tables_are_innodb_utf8mb4_bin(mysql_database_url: str) -> None:
    # GIVEN the MySQL database built by the migrations WHEN its tables are listed
    engine = make_engine(mysql_database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT table_name, engine, table_collation FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name <> 'alembic_version' "
                "AND table_type = 'BASE TABLE'"  # views (the KPIs) have no engine
            )
        ).all()
    engine.dispose()
    # THEN every one is InnoDB with a binary utf8mb4 collation
    assert {(row[1], row[2]) for row in rows} == {("InnoDB", "utf8mb4_bin")}


def test_review_sql_is_mysql_ddl_without_a_server() -> None:
    # WHEN the DDL is rendered offline THEN it is MySQL's, with the engine and charset
    ddl = migrations.review_sql()
    assert "CREATE TABLE events" in ddl
    assert "DATETIME(6)" in ddl
    assert "ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin" in ddl
