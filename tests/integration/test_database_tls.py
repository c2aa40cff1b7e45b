"""TLS to the database is required and verified with the production settings: the CA bundle and the
host name, checked by the real PyMySQL client against a stand-in that offers TLS (``tls_mysql``).
The login (from moto's Secrets Manager) is sent only inside a connection that passed both checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import certifi
import pytest

from chalicelib import bootstrap
from chalicelib.domain.errors import DependencyError
from tests.integration.tls_mysql import TestAuthority, TlsOnlyServer


@pytest.fixture
def authority(tmp_path: Path) -> TestAuthority:
    return TestAuthority(tmp_path)


@pytest.fixture
def secret_env(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The secret in moto and the settings naming it; TLS left at its default (verify)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="rds!db-tls",
            SecretString=json.dumps({"username": "tripline_app", "password": "not-for-plain-text"}),
        )["ARN"]
        monkeypatch.setenv("TRIPLINE_DATABASE_SECRET_ARN", arn)
        monkeypatch.setenv("TRIPLINE_DATABASE_NAME", "tripline")
        monkeypatch.delenv("TRIPLINE_DATABASE_TLS", raising=False)
        bootstrap.reset()
        yield
    bootstrap.reset()


@contextmanager
def serving(
    authority: TestAuthority,
    monkeypatch: pytest.MonkeyPatch,
    *,
    ca_file: Path | str,
    host: str,
    dns: str | None = None,
    ip: str | None = None,
) -> Iterator[TlsOnlyServer]:
    server = TlsOnlyServer(*authority.issue(dns=dns, ip=ip))
    monkeypatch.setenv("TRIPLINE_DATABASE_HOST", host)
    monkeypatch.setenv("TRIPLINE_DATABASE_PORT", str(server.port))
    monkeypatch.setenv("TRIPLINE_DATABASE_CA_FILE", str(ca_file))
    try:
        yield server
    finally:
        server.close()


def ping() -> str:
    with pytest.raises(DependencyError) as caught:
        bootstrap.container().reader.ping()
    return caught.value.message


def test_a_certificate_from_a_ca_outside_the_bundle_is_refused_before_the_login(
    secret_env: None,
    authority: TestAuthority,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a server whose certificate names the host but comes from a CA the bundle lacks
    # (the bundle is a public one, as Lambda's is)
    with serving(
        authority, monkeypatch, ca_file=certifi.where(), host="127.0.0.1", ip="127.0.0.1"
    ) as server:
        # WHEN the app needs the database
        message = ping()
        # THEN the certificate is refused and no login ever reached the server
        assert "CERTIFICATE_VERIFY_FAILED" in message
        assert server.logins == []


def test_a_certificate_for_another_host_is_refused_before_the_login(
    secret_env: None,
    authority: TestAuthority,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a certificate from the trusted CA, but for another name than the host connected to
    with serving(
        authority,
        monkeypatch,
        ca_file=authority.ca_file,
        host="127.0.0.1",
        dns="tripline.proxy-abc.eu-central-1.rds.amazonaws.com",
    ) as server:
        # WHEN the app needs the database
        message = ping()
        # THEN the host name check refuses it, and no login reached the server
        assert "mismatch" in message
        assert server.logins == []


def test_a_trusted_certificate_for_the_host_carries_the_login_inside_tls(
    secret_env: None,
    authority: TestAuthority,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a certificate from the trusted CA for the very host connected to
    with serving(
        authority, monkeypatch, ca_file=authority.ca_file, host="localhost", dns="localhost"
    ) as server:
        # WHEN the app needs the database, and the server refuses the login
        message = ping()
        # THEN the secret's user arrived inside TLS, and once more after the secret was
        # re-read for the refusal (as after a rotation) before the outage was reported
        assert server.logins == ["tripline_app", "tripline_app"]
        assert "Access denied" in message
