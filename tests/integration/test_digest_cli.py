"""`tripline digest send`'s own parts: what it prints, and how it finds the local digests topic
(moto's server, as `tripline local` runs it); the whole command is tests/e2e/test_local_digest.py."""

from __future__ import annotations

import boto3
import pytest

from chalicelib import bootstrap
from tripline.cli import main
from tripline.digest_cli import TOPIC_VARIABLE, describe, find_local_topic
from tripline.local.moto_server import GuardedMotoServer


def test_a_sent_digest_is_described_by_its_headline() -> None:
    outcome = {
        "week": "2026-W48",
        "sent": True,
        "message_id": "m-1",
        "headline": {
            "events_stored": 1204,
            "rows_rejected": 1,
            "uploads": 2,
            "uploads_failed": 0,
            "rule_matches": 5,
            "alerts_opened": 1,
            "alerts_still_open": 1,
        },
    }
    assert describe(outcome) == (
        "sent digest 2026-W48: 1,204 events, 1 row rejected, 2 uploads (0 failed), "
        "5 rule matches, 1 alert opened (1 still open); message m-1"
    )


def test_a_week_already_sent_says_so() -> None:
    outcome = {"week": "2026-W48", "sent": False, "reason": "already sent, or being sent"}
    assert describe(outcome) == "digest 2026-W48 already sent"


def test_the_digests_topic_is_found_by_name_on_the_local_endpoint(moto: GuardedMotoServer) -> None:
    # GIVEN the runtime's topics on moto, and an environment naming only the endpoint
    sns = boto3.client("sns", endpoint_url=moto.url, region_name="us-east-1")
    sns.create_topic(Name="tripline-alerts")
    arn = sns.create_topic(Name="tripline-digests")["TopicArn"]
    env = {"TRIPLINE_AWS_ENDPOINT_URL": moto.url, "AWS_REGION": "us-east-1"}
    # WHEN the command looks for it THEN the digests topic's ARN joins the environment
    assert find_local_topic(env) is True
    assert env[TOPIC_VARIABLE] == arn


def test_a_topic_named_in_the_environment_or_aws_itself_is_never_looked_up() -> None:
    named = {TOPIC_VARIABLE: "arn:aws:sns:eu-west-1:1:mine", "TRIPLINE_AWS_ENDPOINT_URL": "x"}
    assert find_local_topic(named) is False
    assert named[TOPIC_VARIABLE] == "arn:aws:sns:eu-west-1:1:mine"
    assert find_local_topic({}) is False


def test_a_week_that_is_no_iso_week_is_refused_with_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("TRIPLINE_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("POWERTOOLS_LOG_LEVEL", raising=False)  # restored: the command sets it
    monkeypatch.setenv("TRIPLINE_DIGESTS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:d")
    try:
        code = main(["digest", "send", "--week", "last-week"])
    finally:
        bootstrap.reset()  # the container main built, on this test's environment
    assert code == 2
    assert "week: is not an ISO week such as 2026-W48" in capsys.readouterr().err
