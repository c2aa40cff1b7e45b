"""Shared fixtures: a migrated database on SQLite and on MySQL, moto, and the app's test client.

Every test that takes ``engine`` (or ``database_url``) runs twice, once per database. MySQL is the
server on 127.0.0.1:3306 (``TRIPLINE_TEST_MYSQL_URL`` to point elsewhere); the test command makes
sure it runs, and these tests fail rather than skip when it cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, text

from chalicelib import bootstrap
from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import metadata

MYSQL_SERVER_URL = os.environ.get("TRIPLINE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def fresh_mysql_database(prefix: str) -> Iterator[str]:
    """An empty MySQL database of its own (utf8mb4, binary collation as in production), dropped
    at the end; the suite fails, never skips, when the server cannot be reached."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    server = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    except Exception as exc:  # the server is part of the suite: say why, do not skip
        pytest.fail(
            f"MySQL at {MYSQL_SERVER_URL} unreachable ({exc}); run `make test`, which starts it"
        )
    try:
        yield f"{MYSQL_SERVER_URL}/{name}"
    finally:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        server.dispose()


@pytest.fixture
def mysql_admin() -> Iterator[Engine]:
    """The test server as its administrator (no database), to create and change logins."""
    engine = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def migrated(url: str) -> str:
    """``url``'s database brought to the schema history's head; the URL, for chaining."""
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def mysql_database_url() -> Iterator[str]:
    """A fresh MySQL database for this test session, migrated once, dropped at the end."""
    with fresh_mysql_database("tripline_test") as url:
        yield migrated(url)


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a new SQLite file, or the session's MySQL database emptied."""
    if request.param == "sqlite":
        yield migrated(f"sqlite:///{tmp_path / 'tripline.db'}")
        return
    url = request.getfixturevalue("mysql_database_url")
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so no test can reach a real account."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRIPLINE_AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws(aws_env: None) -> Iterator[dict[str, Any]]:
    """moto in process, with the queues, bucket and topic the app expects."""
    import boto3
    from moto import mock_aws

    from tripline.local.resources import ensure_resources

    with mock_aws():
        clients = {
            name: boto3.client(name, region_name="us-east-1") for name in ("sqs", "s3", "sns")
        }
        created = ensure_resources(clients["sqs"], clients["s3"], clients["sns"], "tripline-test")
        yield {"clients": clients, "resources": created}


@pytest.fixture
def app_env(
    aws: dict[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """The app's environment pointed at moto and the test database; a fresh container per test."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("TRIPLINE_BUCKET", aws["resources"].bucket)
    monkeypatch.setenv("TRIPLINE_ALERTS_TOPIC_ARN", aws["resources"].topic_arn)
    monkeypatch.setenv("TRIPLINE_DIGESTS_TOPIC_ARN", aws["resources"].digests_topic_arn)
    monkeypatch.setenv("TRIPLINE_API_URL", "https://tripline.test")
    monkeypatch.setenv("TRIPLINE_NOTIFY_PER_SECOND", "1000")
    bootstrap.reset()
    yield aws | {"database_url": database_url}
    bootstrap.reset()


@pytest.fixture
def make_key(app_env: dict[str, Any]) -> Callable[..., str]:
    """A key stored in the test database, as ``tripline keys create`` makes one; its text."""
    from chalicelib.adapters.db.access_store import SqlKeyStore
    from chalicelib.domain.access import ApiKey, hash_secret, new_key_text

    def make(role: str = "admin", sources: tuple[str, ...] = (), name: str = "test") -> str:
        key_id, secret, text = new_key_text()
        engine = make_engine(app_env["database_url"])
        SqlKeyStore(engine).add(
            ApiKey(key_id, name, role, sources, hash_secret(secret), datetime.now(UTC), "tests")
        )
        engine.dispose()
        return text

    return make


@pytest.fixture
def client(app_env: dict[str, Any], make_key: Callable[..., str]) -> Iterator[Any]:
    """The Chalice test client, calling as an admin key unless a test sends its own
    ``Authorization`` (``None`` sends none)."""
    from chalice.test import Client

    import app

    admin = f"Bearer {make_key('admin', name='test-admin')}"
    with Client(app.app, stage_name="local") as test_client:
        send = test_client.http.request

        def request(
            method: str, path: str, headers: dict[str, Any] | None = None, body: bytes | str = b""
        ) -> Any:
            given = {"Authorization": admin} | dict(headers or {})
            return send(
                method,
                path,
                headers={name: value for name, value in given.items() if value is not None},
                body=body,
            )

        test_client.http.request = request  # type: ignore[method-assign]
        yield test_client
