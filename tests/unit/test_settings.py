"""Settings from the environment: documented defaults, every variable parsed, all problems at once."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import ConfigurationError, Detail
from chalicelib.domain.events import Limits
from chalicelib.settings import VARIABLES, Settings


def refusal(env: dict[str, str]) -> list[Detail]:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(env)
    return caught.value.details


def test_empty_environment_gives_the_documented_defaults() -> None:
    # GIVEN no variables at all
    # WHEN settings are built
    settings = Settings.from_env({})
    # THEN every value is its default
    assert settings == Settings()
    assert settings.database_url == "sqlite:///var/tripline.db"
    assert settings.aws_region == "us-east-1"
    assert settings.aws_endpoint_url is None
    assert settings.limits == Limits(500, 1024 * 1024, 32 * 1024)
    assert (settings.page_size, settings.max_page_size, settings.send_attempts) == (50, 500, 3)
    assert (settings.aws_connect_timeout, settings.aws_read_timeout) == (2.0, 5.0)


def test_every_declared_default_parses_to_the_settings_default() -> None:
    # GIVEN each variable set explicitly to its declared default
    env = {variable.name: variable.default for variable in VARIABLES}
    # WHEN settings are built
    settings = Settings.from_env(env)
    # THEN the result equals the dataclass defaults (the two lists agree)
    assert settings == Settings()


def test_every_variable_is_parsed() -> None:
    # GIVEN every variable set, some with surrounding spaces
    env = {
        "DATABASE_URL": " mysql+pymysql://tripline:pw@db.internal:3306/tripline ",
        "AWS_REGION": "eu-central-1",
        "TRIPLINE_AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "TRIPLINE_MAX_BATCH_EVENTS": "100",
        "TRIPLINE_MAX_BODY_BYTES": "65536",
        "TRIPLINE_MAX_EVENT_BYTES": "4096",
        "TRIPLINE_PAGE_SIZE": "25",
        "TRIPLINE_MAX_PAGE_SIZE": "200",
        "TRIPLINE_SQS_SEND_ATTEMPTS": "5",
        "TRIPLINE_AWS_CONNECT_TIMEOUT": "0.5",
        "TRIPLINE_AWS_READ_TIMEOUT": " 10 ",
    }
    # WHEN settings are built
    settings = Settings.from_env(env)
    # THEN each is typed and trimmed
    assert settings == Settings(
        database_url="mysql+pymysql://tripline:pw@db.internal:3306/tripline",
        aws_region="eu-central-1",
        aws_endpoint_url="http://127.0.0.1:5000",
        max_batch_events=100,
        max_body_bytes=65536,
        max_event_bytes=4096,
        page_size=25,
        max_page_size=200,
        send_attempts=5,
        aws_connect_timeout=0.5,
        aws_read_timeout=10.0,
    )
    assert settings.limits == Limits(100, 65536, 4096)


def test_settings_are_frozen() -> None:
    # GIVEN settings
    settings = Settings.from_env({})
    # WHEN a value is changed after the fact
    with pytest.raises(AttributeError):
        settings.page_size = 1  # type: ignore[misc]
    # THEN it kept its value
    assert settings.page_size == 50


@pytest.mark.parametrize(
    ("env", "region"),
    [
        ({"AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-1"}, "ap-south-1"),
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AWS_REGION": ""}, "us-east-1"),
    ],
)
def test_aws_default_region_is_used_when_aws_region_is_absent(
    env: dict[str, str], region: str
) -> None:
    # GIVEN some combination of the two region variables
    # WHEN settings are built
    settings = Settings.from_env(env)
    # THEN AWS_REGION wins, then AWS_DEFAULT_REGION, then the default
    assert settings.aws_region == region


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("DATABASE_URL", "postgresql://db/tripline", "sqlite:// or mysql+pymysql://"),
        ("DATABASE_URL", "tripline.db", "sqlite:// or mysql+pymysql://"),
        ("DATABASE_URL", "", "sqlite:// or mysql+pymysql://"),
        ("AWS_REGION", "eu central", "letters, digits"),
        ("AWS_REGION", "r" * 81, "letters, digits"),
        ("TRIPLINE_AWS_ENDPOINT_URL", "localhost:5000", "http:// or https://"),
        ("TRIPLINE_AWS_ENDPOINT_URL", "ftp://host", "http:// or https://"),
        ("TRIPLINE_AWS_ENDPOINT_URL", "http://", "http:// or https://"),
        ("TRIPLINE_MAX_BATCH_EVENTS", "0", "whole number of at least 1"),
        ("TRIPLINE_MAX_BODY_BYTES", "1MB", "whole number of at least 1"),
        ("TRIPLINE_MAX_EVENT_BYTES", "-5", "whole number of at least 1"),
        ("TRIPLINE_PAGE_SIZE", "2.5", "whole number of at least 1"),
        ("TRIPLINE_MAX_PAGE_SIZE", "", "whole number of at least 1"),
        ("TRIPLINE_SQS_SEND_ATTEMPTS", "three", "whole number of at least 1"),
        ("TRIPLINE_AWS_CONNECT_TIMEOUT", "0", "greater than 0"),
        ("TRIPLINE_AWS_CONNECT_TIMEOUT", "nan", "greater than 0"),
        ("TRIPLINE_AWS_READ_TIMEOUT", "-1", "greater than 0"),
        ("TRIPLINE_AWS_READ_TIMEOUT", "soon", "greater than 0"),
    ],
)
def test_a_bad_variable_is_refused_naming_it_and_what_was_expected(
    name: str, value: str, words: str
) -> None:
    # GIVEN one bad variable
    # WHEN settings are built
    details = refusal({name: value})
    # THEN the one detail names the variable, says what it expects and echoes the value
    assert [(detail.field, detail.value) for detail in details] == [(name, value)]
    assert details[0].message.startswith("expected ")
    assert words in details[0].message


def test_several_bad_variables_are_reported_together() -> None:
    # GIVEN four bad variables
    env = {
        "DATABASE_URL": "postgresql://db/tripline",
        "TRIPLINE_MAX_BATCH_EVENTS": "0",
        "TRIPLINE_AWS_ENDPOINT_URL": "localhost:5000",
        "TRIPLINE_AWS_READ_TIMEOUT": "soon",
    }
    # WHEN settings are built
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(env)
    # THEN one error names each of them, in the order they are declared
    assert [detail.field for detail in caught.value.details] == [
        "DATABASE_URL",
        "TRIPLINE_AWS_ENDPOINT_URL",
        "TRIPLINE_MAX_BATCH_EVENTS",
        "TRIPLINE_AWS_READ_TIMEOUT",
    ]
    assert caught.value.code == "configuration_error"
    assert str(caught.value).count("\n  - ") == 4


def test_page_size_above_the_maximum_is_refused() -> None:
    # GIVEN a default page larger than the largest page allowed
    env = {"TRIPLINE_PAGE_SIZE": "600", "TRIPLINE_MAX_PAGE_SIZE": "500"}
    # WHEN settings are built
    details = refusal(env)
    # THEN the page size is named, with the variable it must not exceed
    assert details == [Detail("must not exceed TRIPLINE_MAX_PAGE_SIZE", field="TRIPLINE_PAGE_SIZE")]


def test_page_size_equal_to_the_maximum_is_accepted() -> None:
    # GIVEN a default page as large as the largest allowed
    env = {"TRIPLINE_PAGE_SIZE": "100", "TRIPLINE_MAX_PAGE_SIZE": "100"}
    # WHEN settings are built
    settings = Settings.from_env(env)
    # THEN both are taken
    assert (settings.page_size, settings.max_page_size) == (100, 100)


def test_page_size_above_the_maximum_is_reported_with_other_problems() -> None:
    # GIVEN a page size over its maximum and an unrelated bad variable
    env = {"TRIPLINE_PAGE_SIZE": "600", "DATABASE_URL": "postgresql://db"}
    # WHEN settings are built
    details = refusal(env)
    # THEN both are named in the one error
    assert {detail.field for detail in details} == {"DATABASE_URL", "TRIPLINE_PAGE_SIZE"}


def test_bad_database_url_is_reported_without_its_password() -> None:
    # GIVEN a DATABASE_URL with a password and an unsupported scheme
    env = {"DATABASE_URL": "mysql://tripline:s3cret-pw@db.internal/tripline"}
    # WHEN settings are built
    details = refusal(env)
    # THEN the variable is named but the password appears nowhere in the details
    assert [detail.field for detail in details] == ["DATABASE_URL"]
    assert "s3cret-pw" not in repr([detail.as_dict() for detail in details])


@pytest.mark.parametrize("value", ["inf", "1e999"])
def test_infinite_timeout_is_refused(value: str) -> None:
    # GIVEN a timeout of infinity
    # WHEN settings are built
    details = refusal({"TRIPLINE_AWS_CONNECT_TIMEOUT": value})
    # THEN it is named as bad
    assert [detail.field for detail in details] == ["TRIPLINE_AWS_CONNECT_TIMEOUT"]


def test_every_variable_has_a_meaning_and_a_settings_attribute() -> None:
    # GIVEN the declared variables
    attributes = set(Settings.__dataclass_fields__)
    # WHEN they are compared with the settings
    declared = {variable.attribute for variable in VARIABLES}
    # THEN each maps to one attribute and every attribute has a variable, each documented
    assert declared == attributes
    assert len({variable.name for variable in VARIABLES}) == len(VARIABLES)
    assert all(variable.meaning for variable in VARIABLES)
