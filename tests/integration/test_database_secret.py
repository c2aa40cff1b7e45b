"""The database as on AWS: login from a Secrets Manager secret (moto), read once per container,
refreshed when the server refuses a rotated password; TLS required.

The server is the suite's MariaDB, whose login the secret holds; it speaks no TLS, so these tests
switch TLS off through its setting, except the one that shows TLS is not optional.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import certifi
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from chalicelib import bootstrap
from chalicelib.domain.errors import DependencyError
from tests.conftest import MYSQL_SERVER_URL
from tripline.cli import main

pytestmark = pytest.mark.mysql


class SecretWorld:
    """moto's Secrets Manager holding a login for the test server, and the app's environment
    pointing at both; counts the app's own GetSecretValue calls."""

    def __init__(self, client: Any, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
        self.client = client
        self.monkeypatch = monkeypatch
        url = make_url(database_url)
        self.database = url.database or ""
        self.arn = client.create_secret(
            Name=f"rds!db-{uuid.uuid4().hex[:8]}",
            SecretString=json.dumps({"username": url.username, "password": url.password or ""}),
        )["ARN"]
        self.fetches = 0
        for name, value in {
            "DATABASE_URL": "mysql+pymysql://nobody:nothing@192.0.2.1:1/unused",  # never used
            "TRIPLINE_DATABASE_SECRET_ARN": self.arn,
            "TRIPLINE_DATABASE_HOST": url.host or "",
            "TRIPLINE_DATABASE_PORT": str(url.port or 3306),
            "TRIPLINE_DATABASE_NAME": self.database,
            "TRIPLINE_DATABASE_TLS": "off",
        }.items():
            monkeypatch.setenv(name, value)

    def store(self, username: str, password: str) -> None:
        self.client.put_secret_value(
            SecretId=self.arn, SecretString=json.dumps({"username": username, "password": password})
        )

    def container(self) -> bootstrap.Container:
        """A fresh container, as a cold start builds one, with its secret reads counted."""
        bootstrap.reset()
        services = bootstrap.container()
        services.secrets_client.meta.events.register(
            "before-call.secrets-manager.GetSecretValue", self._count
        )
        return services

    def _count(self, **_: Any) -> None:
        self.fetches += 1


@pytest.fixture
def world(
    aws_env: None, mysql_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretWorld]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield SecretWorld(
            boto3.client("secretsmanager", region_name="us-east-1"), monkeypatch, mysql_database_url
        )
    bootstrap.reset()


@pytest.fixture
def rotating_user(mysql_admin: Engine, world: SecretWorld) -> Iterator[tuple[str, str]]:
    """A login of its own for the test database, so its password can be changed."""
    name, password = f"tripline_rot_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with mysql_admin.connect() as conn:
        conn.execute(text(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'"))
        conn.execute(text(f"CREATE USER '{name}'@'localhost' IDENTIFIED BY '{password}'"))
        for host in ("%", "localhost"):
            conn.execute(text(f"GRANT ALL ON `{world.database}`.* TO '{name}'@'{host}'"))
    yield name, password
    with mysql_admin.connect() as conn:
        conn.execute(text(f"DROP USER IF EXISTS '{name}'@'%', '{name}'@'localhost'"))


def who_and_where(engine: Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT CURRENT_USER(), DATABASE()")).one()
    return str(row[0]).split("@")[0], str(row[1])


def alter_password(mysql_admin: Engine, name: str, password: str) -> None:
    with mysql_admin.connect() as conn:
        for host in ("%", "localhost"):
            conn.execute(text(f"ALTER USER '{name}'@'{host}' IDENTIFIED BY '{password}'"))


def test_the_engine_logs_in_with_the_secret_and_reads_it_once_for_many_connections(
    world: SecretWorld,
) -> None:
    # GIVEN a container configured with the secret and host, and no usable DATABASE_URL
    services = world.container()
    engine = services.engine
    # WHEN five connections are opened one after another, each a new DB-API connection
    seen = set()
    for _ in range(5):
        engine.dispose()
        seen.add(who_and_where(engine))
    # THEN each reached the configured database as the secret's user, the URL never held a
    # password, and Secrets Manager was asked once
    assert seen == {(make_url(MYSQL_SERVER_URL).username, world.database)}
    assert engine.url.password is None and engine.url.username is None
    assert world.fetches == 1


def test_a_rotated_password_is_fetched_again_once_and_the_connection_succeeds(
    world: SecretWorld,
    mysql_admin: Engine,
    rotating_user: tuple[str, str],
) -> None:
    # GIVEN the secret holding a user's password, cached by a warm container's first connection
    name, password = rotating_user
    world.store(name, password)
    services = world.container()
    assert who_and_where(services.engine) == (name, world.database)
    # WHEN the password is rotated, in the server and in the secret, and a new connection opens
    # while the cached copy is still young
    new_password = uuid.uuid4().hex
    alter_password(mysql_admin, name, new_password)
    world.store(name, new_password)
    services.engine.dispose()
    # THEN the server's refusal makes the container read the secret again, and it gets in
    assert who_and_where(services.engine) == (name, world.database)
    assert world.fetches == 2
    # AND later connections use the refreshed login without asking again
    services.engine.dispose()
    assert who_and_where(services.engine) == (name, world.database)
    assert world.fetches == 2


def test_a_password_the_secret_cannot_fix_is_retried_once_then_reported_without_it(
    world: SecretWorld,
    mysql_admin: Engine,
    rotating_user: tuple[str, str],
) -> None:
    # GIVEN a secret whose password the server does not accept, even freshly read
    name, _ = rotating_user
    wrong = f"wrong-{uuid.uuid4().hex}"
    world.store(name, wrong)
    services = world.container()
    # WHEN the database is needed
    with pytest.raises(DependencyError) as caught:
        services.reader.ping()
    # THEN it is an outage naming the refusal, after exactly one refresh, never the password
    assert "Access denied" in caught.value.message
    assert world.fetches == 2
    chain, error = [], caught.value
    while error is not None:
        chain.append(repr(error) + str(error))
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    assert wrong not in "".join(chain)
    assert wrong not in repr(services.database_login.login())


def test_with_tls_verified_a_server_without_tls_is_refused_not_spoken_to_in_plain_text(
    world: SecretWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the production setting, TLS verified, with a CA bundle this machine has
    monkeypatch.delenv("TRIPLINE_DATABASE_TLS")
    monkeypatch.setenv("TRIPLINE_DATABASE_CA_FILE", certifi.where())
    services = world.container()
    # WHEN it connects to a server that offers no TLS (the suite's MariaDB)
    with pytest.raises(DependencyError) as caught:
        services.reader.ping()
    # THEN the client refuses to go on without TLS (test_database_tls covers the certificate)
    assert "SSL is required" in caught.value.message


def test_on_lambda_the_engine_keeps_one_connection_and_elsewhere_a_few(
    world: SecretWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the same settings in a Lambda container (Lambda names the function) and elsewhere
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tripline-dev-process_events")
    on_lambda = world.container().engine
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    elsewhere = world.container().engine
    # WHEN their pools are asked their size THEN Lambda's holds one, reused by every invocation
    assert (on_lambda.pool.size(), elsewhere.pool.size()) == (1, 2)  # type: ignore[attr-defined]
    assert who_and_where(on_lambda)[1] == world.database


def test_db_upgrade_runs_with_the_secret_settings_as_an_operator_would_through_a_tunnel(
    world: SecretWorld,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the AWS settings (secret, host, name) and no usable DATABASE_URL
    services = world.container()
    # WHEN `tripline db upgrade` runs
    code = main(["db", "upgrade"])
    # THEN it reaches the database through the secret, says the revision and where, no password
    out = capsys.readouterr().out
    assert code == 0
    assert f"database at head (0009): mysql+pymysql://{make_url(MYSQL_SERVER_URL).host}" in out
    assert world.database in out and world.fetches == 1
    assert services.schema_engine is not services.engine
