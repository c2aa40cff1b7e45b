"""The application's database login, as the ``migrate`` function keeps it on AWS: made by the
owner login from the application login's secret (moto), with data grants only, again on every
run, with any password.

The owner is the suite's MariaDB root, standing in for RDS's master user; each test has a fresh,
empty database, which ``migrate`` brings to head first. What the server refuses is asserted by
its error codes, so MySQL 8 and MariaDB are held to the same statement.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from chalice.test import Client
from pymysql.constants import ER
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

import app
from chalicelib import bootstrap
from chalicelib.adapters.db.access_store import SqlKeyStore
from chalicelib.adapters.db.migrations import SQL_DIR
from chalicelib.adapters.db.tables import metadata
from chalicelib.adapters.db.window_state import SqlWindowState
from chalicelib.domain.access import ApiKey
from tests.conftest import MYSQL_SERVER_URL, fresh_mysql_database
from tripline.cli import main

pytestmark = pytest.mark.mysql

# Every way the server says "not with your privileges": on a database, a table, a command, a
# login, or creating a user through GRANT (MySQL 8 may say that for the GRANT below).
REFUSED = {
    ER.DBACCESS_DENIED_ERROR,
    ER.TABLEACCESS_DENIED_ERROR,
    ER.SPECIFIC_ACCESS_DENIED_ERROR,
    ER.ACCESS_DENIED_ERROR,
    ER.CANT_CREATE_USER_WITH_GRANT,
}
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
HEAD = ScriptDirectory(
    str(SQL_DIR), version_locations=[str(SQL_DIR / "versions")]
).get_current_head()
HOSTILE_PASSWORD = "it's \"quoted\" \\' OR '1'='1 -- %s `tick` ; DROP USER root"


class Logins:
    """The owner's and the application's secrets in moto's Secrets Manager, and the settings of
    the migrate function pointing at both and at the database, as on AWS (TLS off: the test
    server has none)."""

    def __init__(self, client: Any, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
        self.client = client
        url = make_url(database_url)
        self.database = url.database or ""
        self.user = f"tripline_app_{uuid.uuid4().hex[:8]}"
        owner = client.create_secret(
            Name=f"rds!db-{uuid.uuid4().hex[:8]}",
            SecretString=json.dumps({"username": url.username, "password": url.password or ""}),
        )["ARN"]
        self.app_arn = client.create_secret(
            Name=f"tripline-app-{uuid.uuid4().hex[:8]}", SecretString=self._login(uuid.uuid4().hex)
        )["ARN"]
        for name, value in {
            "DATABASE_URL": "mysql+pymysql://nobody:nothing@192.0.2.1:1/unused",  # never used
            "TRIPLINE_DATABASE_SECRET_ARN": owner,
            "TRIPLINE_DATABASE_APP_SECRET_ARN": self.app_arn,
            "TRIPLINE_DATABASE_HOST": url.host or "",
            "TRIPLINE_DATABASE_PORT": str(url.port or 3306),
            "TRIPLINE_DATABASE_NAME": self.database,
            "TRIPLINE_DATABASE_TLS": "off",
        }.items():
            monkeypatch.setenv(name, value)

    def _login(self, password: str) -> str:
        return json.dumps({"username": self.user, "password": password})

    def rotate(self, password: str) -> None:
        self.client.put_secret_value(SecretId=self.app_arn, SecretString=self._login(password))

    @property
    def password(self) -> str:
        secret = self.client.get_secret_value(SecretId=self.app_arn)["SecretString"]
        return str(json.loads(secret)["password"])

    def migrate(self, *, sql_mode: str | None = None, cold: bool = True) -> dict[str, Any]:
        """The migrate function invoked through app.py, in a new container unless not ``cold``;
        ``sql_mode`` for the owner login's sessions."""
        if cold:
            bootstrap.reset()
        if sql_mode is not None:
            event.listen(
                bootstrap.container().schema_engine,
                "connect",
                lambda dbapi, _: dbapi.query(f"SET SESSION sql_mode = '{sql_mode}'"),
            )
        with Client(app.app, stage_name="local") as client:
            answer: dict[str, Any] = client.lambda_.invoke("migrate", {}).payload
        return answer

    @property
    def made(self) -> dict[str, str]:
        """What migrate answers when it made the application login."""
        return {"revision": HEAD, "app_user": self.user}

    def app_engine(self, password: str | None = None, database: str | None = None) -> Engine:
        """An engine logging in as the application user, by default with the secret's password."""
        url = make_url(MYSQL_SERVER_URL).set(
            username=self.user,
            password=self.password if password is None else password,
            database=database or self.database,
        )
        return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh, empty database, its name with '_' in it (as GRANT's wildcard would read it)."""
    with fresh_mysql_database("tripline_grants") as url:
        yield url


@pytest.fixture
def logins(
    aws_env: None, database: str, mysql_admin: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Logins]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        made = Logins(client, monkeypatch, database)
        yield made
    bootstrap.reset()
    with mysql_admin.connect() as conn:
        conn.execute(text("DROP USER IF EXISTS :user@'%'"), {"user": made.user})


def refusal(engine: Engine, statement: str) -> int:
    """The server's error code for ``statement``; fails the test if the server runs it."""
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        conn.execute(text(statement))
    code: int = caught.value.orig.args[0]  # type: ignore[union-attr]
    return code


def grants(mysql_admin: Engine, user: str) -> list[str]:
    with mysql_admin.connect() as conn:
        return sorted(
            str(row[0]) for row in conn.execute(text("SHOW GRANTS FOR :user@'%'"), {"user": user})
        )


def test_the_app_login_reads_and_writes_rows_but_cannot_delete_change_the_schema_or_grant(
    logins: Logins,
) -> None:
    # GIVEN an empty database, and the migrate function run on it with the owner login
    assert logins.migrate() == logins.made
    engine = logins.app_engine()
    # WHEN the application login reads every table, and adds and changes a row as the app does
    with engine.connect() as conn:
        counts = {
            table.name: conn.scalar(select(func.count()).select_from(table))
            for table in metadata.sorted_tables
        }
    keys = SqlKeyStore(engine)
    keys.add(ApiKey("k1", "grants", "admin", (), "0" * 64, NOW, "tests"))
    revoked = keys.revoke("k1", NOW)
    # AND prunes the threshold windows' old buckets, as the schedule does
    pruned = SqlWindowState(engine).prune(NOW, 10)
    # THEN all of it works
    assert set(counts) == {table.name for table in metadata.sorted_tables}
    assert revoked is not None and revoked.revoked_at == NOW
    assert pruned == 0
    # AND the server refuses it deleting rows (only window buckets are pruned), any change to the
    # schema, any grant, any new login, and the session state the runtime never uses
    refused = {
        statement: refusal(engine, statement)
        for statement in (
            "DELETE FROM api_keys",
            "TRUNCATE TABLE api_keys",
            "CREATE TABLE probe (id INT)",
            "CREATE TEMPORARY TABLE probe (id INT)",
            "DROP TABLE events",
            "ALTER TABLE events ADD COLUMN probe INT",
            "CREATE INDEX probe ON events (type)",
            f"GRANT SELECT ON `{logins.database}`.* TO '{logins.user}'@'%'",
            "CREATE USER 'tripline_probe'@'%' IDENTIFIED BY 'x'",
            "LOCK TABLES events WRITE",
        )
    }
    assert {statement: code for statement, code in refused.items() if code not in REFUSED} == {}
    assert keys.find("k1") is not None
    engine.dispose()


def test_running_it_again_changes_nothing_and_a_rotated_secret_replaces_the_password(
    logins: Logins, mysql_admin: Engine
) -> None:
    # GIVEN the application login made once
    logins.migrate()
    first_password, first_grants = logins.password, grants(mysql_admin, logins.user)
    # WHEN migrate runs again with the secret unchanged
    again = logins.migrate()
    # THEN it answers the same, the grants are the same, and the same password still logs in
    assert again == logins.made
    assert grants(mysql_admin, logins.user) == first_grants
    assert who(logins.app_engine()) == logins.user
    # WHEN the secret is rotated (a new value put there) and migrate runs in the same warm
    # container, whose cached copy of the secret is still young
    logins.rotate(uuid.uuid4().hex)
    assert logins.migrate(cold=False) == logins.made
    # THEN the server takes the new password only
    assert who(logins.app_engine()) == logins.user
    assert refusal(logins.app_engine(first_password), "SELECT 1") == ER.ACCESS_DENIED_ERROR


@pytest.mark.parametrize("sql_mode", ["", "NO_BACKSLASH_ESCAPES"])
def test_a_password_with_quotes_and_backslashes_is_set_as_the_secret_holds_it(
    logins: Logins, sql_mode: str
) -> None:
    # GIVEN a secret whose password holds quotes, a backslash, a percent sign and SQL
    logins.rotate(HOSTILE_PASSWORD)
    # WHEN migrate runs, the owner's sessions in either escaping mode of the server
    assert logins.migrate(sql_mode=sql_mode) == logins.made
    # THEN that exact password logs in, and nothing of it ran as SQL
    assert who(logins.app_engine(HOSTILE_PASSWORD)) == logins.user
    assert who(create_engine(MYSQL_SERVER_URL)) == make_url(MYSQL_SERVER_URL).username


def test_the_grant_reaches_its_own_database_not_the_names_its_underscores_match(
    logins: Logins, mysql_admin: Engine
) -> None:
    # GIVEN a database whose name differs from Tripline's only where it has an underscore
    sibling = logins.database.replace("_", "x")
    with mysql_admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{sibling}`"))
    try:
        # WHEN the application login is made for Tripline's database
        assert logins.migrate() == logins.made
        # THEN it may not even open the other one
        assert refusal(logins.app_engine(database=sibling), "SELECT 1") in REFUSED
    finally:
        with mysql_admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE `{sibling}`"))


def test_without_the_application_logins_secret_migrate_only_brings_the_schema_to_head(
    logins: Logins, mysql_admin: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN migrate with its own login only (as before this release, or the local runtime)
    monkeypatch.delenv("TRIPLINE_DATABASE_APP_SECRET_ARN")
    # WHEN it runs THEN it answers the revision alone, and no user was made
    assert logins.migrate() == {"revision": HEAD}
    with mysql_admin.connect() as conn:
        assert (
            conn.scalar(
                text("SELECT COUNT(*) FROM mysql.user WHERE user = :user"), {"user": logins.user}
            )
            == 0
        )


def test_tripline_db_upgrade_through_a_tunnel_keeps_the_application_login_as_migrate_does(
    logins: Logins, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an operator's shell with migrate's settings (both secrets, the database's host)
    bootstrap.reset()
    # WHEN `tripline db upgrade` runs
    code = main(["db", "upgrade"])
    # THEN it brings the schema to head and makes the application login, and says both
    out = capsys.readouterr().out
    assert code == 0
    assert f"database at head ({HEAD})" in out and f"application login {logins.user}" in out
    assert who(logins.app_engine()) == logins.user


def who(engine: Engine) -> str:
    with engine.connect() as conn:
        user = str(conn.scalar(text("SELECT CURRENT_USER()"))).split("@")[0]
    engine.dispose()
    return user
