"""The one-off ``migrate`` function: sql/ to head on the configured database, through app.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from chalicelib import bootstrap
from chalicelib.adapters.db.migrations import SQL_DIR
from tests.conftest import fresh_mysql_database

HEAD = ScriptDirectory(
    str(SQL_DIR), version_locations=[str(SQL_DIR / "versions")]
).get_current_head()


@pytest.fixture
def empty_database(
    app_env: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The app pointed at a database with no tables yet, of the same kind as the test's."""
    if app_env["database_url"].startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        monkeypatch.setenv("DATABASE_URL", url)
        bootstrap.reset()
        yield url
        return
    with fresh_mysql_database("tripline_empty") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        bootstrap.reset()
        yield url
        bootstrap.reset()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    found = set(inspect(engine).get_table_names())
    engine.dispose()
    return found


def versions(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = list(conn.scalars(text("SELECT version_num FROM alembic_version")))
    engine.dispose()
    return found


def test_migrate_brings_an_empty_database_to_head_and_answers_the_revision(
    client: Any, empty_database: str
) -> None:
    # GIVEN a database without tables
    assert tables(empty_database) == set()
    # WHEN the migrate function is invoked
    response = client.lambda_.invoke("migrate", {})
    # THEN it answers the head revision, and the database is there with the tables
    assert response.payload == {"revision": HEAD} == {"revision": "0009"}
    assert versions(empty_database) == [HEAD]
    assert {"events", "raw_events", "uploads", "alerts"} <= tables(empty_database)


def test_migrate_again_changes_nothing(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN a database at head (the fixture migrated it)
    # WHEN the migrate function is invoked twice
    first = client.lambda_.invoke("migrate", {}).payload
    second = client.lambda_.invoke("migrate", {}).payload
    # THEN both answer the same head, recorded once
    assert first == second == {"revision": HEAD}
    assert versions(app_env["database_url"]) == [HEAD]


def test_migrate_makes_the_first_admin_key_which_the_api_then_accepts(client: Any) -> None:
    # GIVEN a deployed stack whose database only the functions can reach
    # WHEN an operator invokes migrate asking for an admin key
    answer = client.lambda_.invoke(
        "migrate", {"create_key": {"name": "ops", "role": "admin"}}
    ).payload
    # THEN the schema is at head and the key is in the answer, once
    assert answer["revision"] == HEAD
    key = answer["key"]
    assert (key["name"], key["role"], key["key"][:3]) == ("ops", "admin", "tl_")
    # AND the API takes it, and the audit log says who made it
    response = client.http.get("/audit", headers={"Authorization": f"Bearer {key['key']}"})
    assert response.status_code == 200
    (created,) = [
        entry for entry in json.loads(response.body)["items"] if entry["action"] == "key.created"
    ]
    assert created["actor"] == "lambda:migrate" and created["detail"]["name"] == "ops"


def test_a_bad_key_request_names_every_field_and_creates_nothing(client: Any) -> None:
    # WHEN migrate is asked for a key with an unknown role, a bad sources list and a typo
    answer = client.lambda_.invoke(
        "migrate",
        {
            "create_key": {"name": "ops", "role": "root", "sources": "payments"},
            "craete_key": {},
        },
    ).payload
    # THEN it answers an error naming each field, and no key exists
    fields = {detail["field"] for detail in answer["error"]["details"]}
    assert fields == {"craete_key", "create_key.sources"}
    answer = client.lambda_.invoke(
        "migrate", {"create_key": {"name": "ops", "role": "root"}}
    ).payload
    assert [detail["field"] for detail in answer["error"]["details"]] == ["role"]
    listed = client.http.get("/audit")
    assert [e for e in json.loads(listed.body)["items"] if e["action"] == "key.created"] == []
