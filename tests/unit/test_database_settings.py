"""The database settings of AWS: the secret, the proxy's host, TLS on by default, all checked at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.domain.errors import ConfigurationError, Detail
from chalicelib.settings import LAMBDA_CA_BUNDLE, Settings

SECRET_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:tripline-db-AbCdEf"
# RDS names the secret it manages for a DB instance's master user like this, '!' included
RDS_SECRET_ARN = (
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:"
    "rds!db-0a1b2c3d-4e5f-6789-abcd-ef0123456789-XyZ123"
)
PROXY_HOST = "tripline.proxy-abcdefghijkl.eu-central-1.rds.amazonaws.com"


def refusal(env: dict[str, str]) -> list[Detail]:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(env)
    return caught.value.details


def test_without_a_secret_database_url_is_used_and_tls_defaults_are_the_lambda_runtimes() -> None:
    # GIVEN no database variables WHEN settings are built
    settings = Settings.from_env({})
    # THEN there is no secret (DATABASE_URL applies), and TLS is verified with Lambda's CA bundle
    assert (settings.database_secret_arn, settings.database_host) == (None, None)
    assert (settings.database_port, settings.database_name) == (3306, "tripline")
    assert settings.database_ca_file == LAMBDA_CA_BUNDLE == "/etc/pki/tls/certs/ca-bundle.crt"
    assert settings.database_tls is True


def test_every_database_variable_is_parsed(tmp_path: Path) -> None:
    # GIVEN the secret, the proxy, a port, a name and a CA bundle that exists
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("")
    env = {
        "TRIPLINE_DATABASE_SECRET_ARN": f" {RDS_SECRET_ARN} ",
        "TRIPLINE_DATABASE_HOST": PROXY_HOST,
        "TRIPLINE_DATABASE_PORT": "3307",
        "TRIPLINE_DATABASE_NAME": "tripline_prod",
        "TRIPLINE_DATABASE_CA_FILE": str(ca_file),
        "TRIPLINE_DATABASE_TLS": "verify",
    }
    # WHEN settings are built
    settings = Settings.from_env(env)
    # THEN each is typed and trimmed
    assert settings == Settings(
        database_secret_arn=RDS_SECRET_ARN,
        database_host=PROXY_HOST,
        database_port=3307,
        database_name="tripline_prod",
        database_ca_file=str(ca_file),
        database_tls=True,
    )


def test_bad_database_values_are_each_named_among_the_other_problems() -> None:
    # GIVEN an SNS ARN for the secret, a host with a space, a port out of range, a name with a
    # dash, an unknown TLS mode, an empty CA path, and an unrelated bad variable
    env = {
        "TRIPLINE_DATABASE_SECRET_ARN": "arn:aws:sns:eu-central-1:123456789012:alerts",
        "TRIPLINE_DATABASE_HOST": "db host",
        "TRIPLINE_DATABASE_PORT": "70000",
        "TRIPLINE_DATABASE_NAME": "trip-line",
        "TRIPLINE_DATABASE_TLS": "maybe",
        "TRIPLINE_DATABASE_CA_FILE": " ",
        "TRIPLINE_PAGE_SIZE": "many",
    }
    # WHEN settings are built THEN one error lists every one of them
    fields = {detail.field: detail.message for detail in refusal(env)}
    assert set(fields) == {
        "TRIPLINE_DATABASE_SECRET_ARN",
        "TRIPLINE_DATABASE_HOST",
        "TRIPLINE_DATABASE_PORT",
        "TRIPLINE_DATABASE_NAME",
        "TRIPLINE_DATABASE_TLS",
        "TRIPLINE_DATABASE_CA_FILE",
        "TRIPLINE_PAGE_SIZE",
    }
    assert "Secrets Manager ARN" in fields["TRIPLINE_DATABASE_SECRET_ARN"]
    assert "1 to 65535" in fields["TRIPLINE_DATABASE_PORT"]
    assert "verify, off" in fields["TRIPLINE_DATABASE_TLS"]


def test_a_secret_without_a_host_is_refused() -> None:
    # GIVEN the secret but no host (and TLS off, so the CA bundle is not asked for)
    env = {"TRIPLINE_DATABASE_SECRET_ARN": SECRET_ARN, "TRIPLINE_DATABASE_TLS": "off"}
    # WHEN settings are built THEN the host is named as required
    assert refusal(env) == [
        Detail("required when TRIPLINE_DATABASE_SECRET_ARN is set", field="TRIPLINE_DATABASE_HOST")
    ]


def test_a_missing_ca_bundle_is_refused_when_tls_is_verified(tmp_path: Path) -> None:
    # GIVEN the secret and host with a CA bundle that does not exist
    missing = str(tmp_path / "no-such-bundle.pem")
    env = {
        "TRIPLINE_DATABASE_SECRET_ARN": SECRET_ARN,
        "TRIPLINE_DATABASE_HOST": PROXY_HOST,
        "TRIPLINE_DATABASE_CA_FILE": missing,
    }
    # WHEN settings are built THEN the bundle is named, not found at the first connection
    [detail] = refusal(env)
    assert (detail.field, detail.value) == ("TRIPLINE_DATABASE_CA_FILE", missing)
    # AND with TLS explicitly off the bundle is not needed
    assert Settings.from_env(env | {"TRIPLINE_DATABASE_TLS": "off"}).database_tls is False


def test_a_database_url_password_stays_masked_beside_the_new_variables() -> None:
    # GIVEN a bad DATABASE_URL with a password and a bad secret ARN
    env = {
        "DATABASE_URL": "postgres://tripline:s3cret@db/tripline",
        "TRIPLINE_DATABASE_SECRET_ARN": "not-an-arn",
    }
    # WHEN settings are built THEN neither the password nor anything else leaks it
    details = refusal(env)
    assert "s3cret" not in repr(details)
    assert {detail.field for detail in details} == {"DATABASE_URL", "TRIPLINE_DATABASE_SECRET_ARN"}


APP_SECRET_ARN = (
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:AppDatabaseSecret-AbC123-XyZ987"
)


def test_migrate_takes_the_application_logins_secret_beside_the_owners() -> None:
    # GIVEN migrate's settings on AWS: the owner's secret to log in, the application's to keep
    env = {
        "TRIPLINE_DATABASE_SECRET_ARN": RDS_SECRET_ARN,
        "TRIPLINE_DATABASE_HOST": PROXY_HOST,
        "TRIPLINE_DATABASE_APP_SECRET_ARN": APP_SECRET_ARN,
        "TRIPLINE_DATABASE_TLS": "off",
    }
    # WHEN settings are built THEN both are kept apart; without it there is none to keep
    settings = Settings.from_env(env)
    assert (settings.database_secret_arn, settings.database_app_secret_arn) == (
        RDS_SECRET_ARN,
        APP_SECRET_ARN,
    )
    assert Settings.from_env({}).database_app_secret_arn is None


def test_the_application_logins_secret_alone_or_the_same_as_the_owners_is_refused() -> None:
    # GIVEN the application login's secret without an owner login to create its user with
    # THEN it is refused, naming what it needs
    [alone] = refusal({"TRIPLINE_DATABASE_APP_SECRET_ARN": APP_SECRET_ARN})
    assert alone.field == "TRIPLINE_DATABASE_APP_SECRET_ARN"
    assert "TRIPLINE_DATABASE_SECRET_ARN" in alone.message
    # AND so is the owner's secret given twice, which would leave migrate vouching for itself
    env = {
        "TRIPLINE_DATABASE_SECRET_ARN": SECRET_ARN,
        "TRIPLINE_DATABASE_HOST": PROXY_HOST,
        "TRIPLINE_DATABASE_APP_SECRET_ARN": SECRET_ARN,
        "TRIPLINE_DATABASE_TLS": "off",
    }
    [same] = refusal(env)
    assert same.field == "TRIPLINE_DATABASE_APP_SECRET_ARN"
    assert same.message == "must name another secret than TRIPLINE_DATABASE_SECRET_ARN"
    # AND a malformed one is named like any bad value, once
    [bad] = refusal({"TRIPLINE_DATABASE_APP_SECRET_ARN": "tripline-app"})
    assert bad.field == "TRIPLINE_DATABASE_APP_SECRET_ARN" and "Secrets Manager ARN" in bad.message
