"""Every migration in sql/ can be undone: down to base one step at a time, then up again, on both
databases, each step back leaving exactly the schema the step forward found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.migrations import SQL_DIR, AlembicSchemaHistory
from chalicelib.adapters.db.tables import metadata
from chalicelib.domain.errors import RequestError
from tests.conftest import fresh_mysql_database

SCRIPTS = ScriptDirectory(str(SQL_DIR), version_locations=[str(SQL_DIR / "versions")])
REVISIONS = [script.revision for script in reversed(list(SCRIPTS.walk_revisions()))]


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database of its own with nothing in it: a new SQLite file, or a new MySQL
    database (never the session's, which other tests keep at head)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'tripline.db'}")
        yield engine
        engine.dispose()
        return
    with fresh_mysql_database("tripline_round_trip") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def schema_of(engine: Engine) -> dict[str, Any]:
    """Each table's columns (name, type, nullability), indexes and unique constraints."""
    found = inspect(engine)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)],
            sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
            sorted(
                (u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(table)
            ),
        )
        for table in sorted(found.get_table_names())
        if table != "alembic_version"
    }


def test_each_downgrade_restores_the_schema_its_upgrade_found(empty_engine: Engine) -> None:
    # GIVEN the schema recorded before the first migration and after each one, on the way up
    history = AlembicSchemaHistory(empty_engine)
    before: dict[str | None, dict[str, Any]] = {None: schema_of(empty_engine)}
    for revision in REVISIONS:
        migrations.upgrade(empty_engine, revision)
        before[revision] = schema_of(empty_engine)
    assert history.current() == REVISIONS[-1]
    # WHEN the migrations are undone one step at a time, down to base
    # THEN each step lands on the revision below with exactly the schema recorded there
    for below in [*reversed(REVISIONS[:-1]), None]:
        assert history.downgrade("-1") == below
        assert history.current() == below
        assert schema_of(empty_engine) == before[below], f"downgrade to {below or 'base'}"
    assert schema_of(empty_engine) == {}
    # AND the history applies again from base, matching tables.py as on any fresh database
    assert history.upgrade() == REVISIONS[-1]
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_downgrade_to_base_in_one_call_then_up_again(empty_engine: Engine) -> None:
    # GIVEN a database at head
    history = AlembicSchemaHistory(empty_engine)
    history.upgrade()
    # WHEN it is taken to base at once THEN nothing is left; upgrading rebuilds it all
    assert history.downgrade("base") is None
    assert schema_of(empty_engine) == {}
    assert history.upgrade() == REVISIONS[-1]
    assert set(schema_of(empty_engine)) == set(metadata.tables)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("-9", "Relative revision -9 didn't produce 9 migrations"),
        ("nope", "Can't locate revision identified by 'nope'"),
        ("0007", "not a valid downgrade target"),
    ],
)
def test_a_target_alembic_refuses_is_a_request_error_and_changes_nothing(
    empty_engine: Engine, target: str, reason: str
) -> None:
    # GIVEN a database at 0003
    history = AlembicSchemaHistory(empty_engine)
    migrations.upgrade(empty_engine, "0003")
    schema = schema_of(empty_engine)
    # WHEN a downgrade is asked beyond base, to no revision, or to one ahead of it
    with pytest.raises(RequestError) as refused:
        history.downgrade(target)
    # THEN it is refused in Alembic's words, saying where the database is, and nothing changed
    assert refused.value.message == f"cannot downgrade to {target!r} from 0003"
    assert reason in refused.value.details[0].message
    assert refused.value.details[0].field == "revision"
    assert history.current() == "0003" and schema_of(empty_engine) == schema
