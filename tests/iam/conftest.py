"""The workload, run once for the module: app.py on moto, SQLite and MySQL, every AWS call recorded."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, make_url, text

from chalicelib import bootstrap
from chalicelib.adapters.db.engine import make_engine
from tests.conftest import AWS_ENV, MYSQL_SERVER_URL, fresh_mysql_database, migrated
from tests.faults.harness import CHUNK_BYTES, Tripline
from tests.iam import workload
from tests.iam.account import Observed, deployed
from tests.iam.aws_calls import Recorder
from tests.iam.code_scan import lambda_files
from tests.iam.environment import LOGIN_VARIABLES, login_variables
from tests.iam.functions import handler_codes
from tests.iam.policies import TEMPLATE, Intrinsics

# The application login's password as the secret holds it: quotes and a backslash, which
# migrate's CREATE USER and ALTER USER must pass on verbatim (CloudFormation generates letters
# and digits, but an operator's rotation may not).
APP_PASSWORD = "it's \"the app's\" \\ login"


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    """Recorded inside, judged outside: moto, the patched botocore and the environment are gone
    before any test runs."""
    import app

    recorder = Recorder(handler_codes(app), frozenset(lambda_files()))
    with pytest.MonkeyPatch.context() as patch, moto(patch) as aws, mysql_database() as mysql:
        home = sqlite_database(tmp_path_factory.mktemp("iam"))
        aws["database_url"] = home
        app_environment(patch, aws)
        with admin_client(app, home) as client, recorder.watching():
            tripline = (workload.VersionedBucket if bucket_is_versioned() else Tripline)(
                client, aws, patch
            )
            tripline.use(home)
            workload.day(tripline)
            with database_logins(patch, aws, mysql) as logins:
                resources = aws["resources"]
                intrinsics = deployed(
                    resources.bucket,
                    resources.topic_arn,
                    resources.digests_topic_arn,
                    logins.owner_arn,
                    logins.app_arn,
                )
                workload.deployment(tripline, home, mysql, as_deployed(patch, intrinsics))
                bootstrap.reset()
        return Observed(
            recorder.calls,
            aws["resources"].bucket,
            aws["resources"].topic_arn,
            aws["resources"].digests_topic_arn,
            logins.owner_arn,
            logins.app_arn,
        )


def bucket_is_versioned() -> bool:
    """As infra/ declares the bucket (moto's is made the same way)."""
    bucket = yaml.safe_load(TEMPLATE.read_text())["Resources"]["DataBucket"]["Properties"]
    return bool(bucket.get("VersioningConfiguration", {}).get("Status") == "Enabled")


@contextmanager
def moto(patch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto in process with the app's resources."""
    import boto3
    from moto import mock_aws

    from tripline.local.resources import ensure_resources

    for name, value in AWS_ENV.items():
        patch.setenv(name, value)
    patch.delenv("TRIPLINE_AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clients: dict[str, Any] = {
            name: boto3.client(name, region_name="us-east-1")
            for name in ("sqs", "s3", "sns", "secretsmanager")
        }
        created = ensure_resources(clients["sqs"], clients["s3"], clients["sns"], "tripline-iam")
        if bucket_is_versioned():
            clients["s3"].put_bucket_versioning(
                Bucket=created.bucket, VersioningConfiguration={"Status": "Enabled"}
            )
        yield {"clients": clients, "resources": created}


def sqlite_database(directory: Path) -> str:
    return migrated(f"sqlite:///{directory / 'tripline.db'}")


def mysql_database() -> AbstractContextManager[str]:
    """An empty MySQL database (``migrate`` makes its tables), dropped at the end."""
    return fresh_mysql_database("tripline_iam")


@dataclass(frozen=True)
class Logins:
    owner_arn: str
    app_arn: str


@contextmanager
def database_logins(
    patch: pytest.MonkeyPatch, aws: dict[str, Any], database_url: str
) -> Iterator[Logins]:
    """RDS's managed secret for the database's owner, the application login's secret, and the
    settings every function shares pointing at the database as on AWS (plain TCP: the test server
    has no TLS). Which secret a function logs in with is ``as_deployed``'s. The application user
    migrate makes is a server-wide account: dropped at the end."""
    url = make_url(database_url)
    secrets = aws["clients"]["secretsmanager"]
    owner = secrets.create_secret(
        Name="rds!db-0a1b2c3d",
        SecretString=json.dumps({"username": url.username, "password": url.password or ""}),
    )["ARN"]
    app_user = f"tripline_app_{uuid.uuid4().hex[:8]}"
    app = secrets.create_secret(
        Name="AppDatabaseSecret-0a1b2c3d",
        SecretString=json.dumps({"username": app_user, "password": APP_PASSWORD}),
    )["ARN"]
    for name, value in {
        "TRIPLINE_DATABASE_HOST": url.host or "127.0.0.1",
        "TRIPLINE_DATABASE_PORT": str(url.port or 3306),
        "TRIPLINE_DATABASE_NAME": url.database or "",
        "TRIPLINE_DATABASE_TLS": "off",
    }.items():
        patch.setenv(name, value)
    try:
        yield Logins(owner, app)
    finally:
        server = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text("DROP USER IF EXISTS :user@'%'"), {"user": app_user})
        server.dispose()


def as_deployed(patch: pytest.MonkeyPatch, intrinsics: Intrinsics) -> Callable[[str], None]:
    """Sets the database login variables a function gets on AWS (Globals, then its own)."""

    def environment(function: str) -> None:
        for name in LOGIN_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in login_variables(function, intrinsics).items():
            patch.setenv(name, value)

    return environment


def app_environment(patch: pytest.MonkeyPatch, aws: dict[str, Any]) -> None:
    patch.setenv("DATABASE_URL", aws["database_url"])
    patch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    patch.setenv("TRIPLINE_BUCKET", aws["resources"].bucket)
    patch.setenv("TRIPLINE_ALERTS_TOPIC_ARN", aws["resources"].topic_arn)
    patch.setenv("TRIPLINE_DIGESTS_TOPIC_ARN", aws["resources"].digests_topic_arn)
    patch.setenv("TRIPLINE_API_URL", "https://tripline.test")
    patch.setenv("TRIPLINE_NOTIFY_PER_SECOND", "1000")
    patch.setenv("TRIPLINE_CSV_CHUNK_BYTES", str(CHUNK_BYTES))
    bootstrap.reset()


@contextmanager
def admin_client(app: Any, database_url: str) -> Iterator[Any]:
    """Chalice's test client calling as an admin key, as tests/conftest.py's ``client`` does."""
    from chalice.test import Client

    from chalicelib.adapters.db.access_store import SqlKeyStore
    from chalicelib.domain.access import ApiKey, hash_secret, new_key_text

    key_id, secret, key = new_key_text()
    engine = make_engine(database_url)
    SqlKeyStore(engine).add(
        ApiKey(key_id, "iam", "admin", (), hash_secret(secret), datetime.now(UTC), "tests")
    )
    engine.dispose()
    with Client(app.app, stage_name="local") as client:
        send = client.http.request

        def request(
            method: str, path: str, headers: dict[str, Any] | None = None, body: bytes | str = b""
        ) -> Any:
            given = {"Authorization": f"Bearer {key}"} | dict(headers or {})
            return send(method, path, headers=given, body=body)  # type: ignore[arg-type]

        client.http.request = request  # type: ignore[method-assign]
        yield client
