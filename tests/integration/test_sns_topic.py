"""SnsTopic on moto: one publish per call, attributes a filter policy can select on, outages named,
and a message SNS refuses told apart from an outage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from chalicelib.adapters.aws.sns_topic import SnsTopic
from chalicelib.domain.alerts import OutgoingAlert
from chalicelib.domain.errors import DependencyError, MessageRefused
from tests.sns_faults import SnsRefusal


def alert(
    severity: str = "high", subject: str = "[high] large-payment: card c-1", **attributes: str
) -> OutgoingAlert:
    return OutgoingAlert(
        subject=subject,
        body="Payment of 9000 EUR on card c-1.\nAcknowledge: POST /alerts/7/ack\n",
        attributes={
            "severity": severity,
            "source": "payments",
            "rule": "large-payment",
            "status": "open",
        }
        | attributes,
    )


def subscribed_queue(aws: dict[str, Any], name: str, **attributes: str) -> str:
    """A queue subscribed to the alerts topic (SNS envelopes, not raw); its URL."""
    sqs, sns = aws["clients"]["sqs"], aws["clients"]["sns"]
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=aws["resources"].topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes
    )
    return url


def envelopes(aws: dict[str, Any], url: str) -> list[dict[str, Any]]:
    answer = aws["clients"]["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def test_a_published_alert_reaches_a_subscriber_with_subject_body_and_attributes(
    aws: dict[str, Any],
) -> None:
    # GIVEN a queue subscribed to the alerts topic
    url = subscribed_queue(aws, "subscriber")
    topic = SnsTopic(aws["clients"]["sns"], aws["resources"].topic_arn)
    # WHEN an alert is published
    message_id = topic.publish(alert())
    # THEN exactly one notification arrives, carrying everything the alert said
    [envelope] = envelopes(aws, url)
    assert envelope["MessageId"] == message_id
    assert envelope["Subject"] == "[high] large-payment: card c-1"
    assert envelope["Message"] == alert().body
    assert {name: value["Value"] for name, value in envelope["MessageAttributes"].items()} == {
        "severity": "high",
        "source": "payments",
        "rule": "large-payment",
        "status": "open",
    }
    assert {value["Type"] for value in envelope["MessageAttributes"].values()} == {"String"}


def test_empty_attributes_are_left_out_instead_of_failing_the_publish(aws: dict[str, Any]) -> None:
    # GIVEN an alert whose source is empty (SNS refuses empty attribute values)
    url = subscribed_queue(aws, "subscriber")
    topic = SnsTopic(aws["clients"]["sns"], aws["resources"].topic_arn)
    # WHEN it is published
    topic.publish(alert(source=""))
    # THEN it goes out without that attribute
    [envelope] = envelopes(aws, url)
    assert set(envelope["MessageAttributes"]) == {"severity", "rule", "status"}


def test_a_severity_filter_policy_lets_only_high_alerts_through(aws: dict[str, Any]) -> None:
    # GIVEN a subscription that wants only high-severity alerts (moto honours filter policies)
    url = subscribed_queue(aws, "pager", FilterPolicy=json.dumps({"severity": ["high"]}))
    topic = SnsTopic(aws["clients"]["sns"], aws["resources"].topic_arn)
    # WHEN a high, a low and a medium alert are published
    for severity in ("high", "low", "medium"):
        topic.publish(alert(severity, subject=f"[{severity}] large-payment"))
    # THEN only the high one reaches it
    assert [one["Subject"] for one in envelopes(aws, url)] == ["[high] large-payment"]


def test_without_a_topic_arn_publishing_is_an_outage_that_says_what_to_set(
    aws: dict[str, Any],
) -> None:
    # GIVEN no topic configured
    topic = SnsTopic(aws["clients"]["sns"], None)
    # WHEN an alert is published, THEN a DependencyError (the outbox keeps it) names the variable
    with pytest.raises(DependencyError, match="TRIPLINE_ALERTS_TOPIC_ARN") as raised:
        topic.publish(alert())
    assert raised.value.message == "no alerts topic configured: set TRIPLINE_ALERTS_TOPIC_ARN"
    with pytest.raises(DependencyError, match="TRIPLINE_ALERTS_TOPIC_ARN"):
        topic.ping()


def test_a_deleted_topic_is_an_outage_naming_the_topic_and_the_aws_error(
    aws: dict[str, Any],
) -> None:
    # GIVEN a topic that answered its health check, then was deleted
    topic_arn = aws["resources"].topic_arn
    topic = SnsTopic(aws["clients"]["sns"], topic_arn)
    topic.ping()
    aws["clients"]["sns"].delete_topic(TopicArn=topic_arn)
    # WHEN an alert is published, THEN a DependencyError names the topic and SNS's error code
    with pytest.raises(DependencyError) as raised:
        topic.publish(alert())
    assert topic_arn in raised.value.message
    assert "NotFound" in raised.value.message
    # AND the health check says the same
    with pytest.raises(DependencyError, match="NotFound: Topic does not exist"):
        topic.ping()


def test_a_message_sns_refuses_is_a_refusal_naming_the_reason_not_an_outage(
    aws: dict[str, Any],
) -> None:
    # GIVEN moto's SNS, which refuses a subject over 100 characters as AWS does
    topic = SnsTopic(aws["clients"]["sns"], aws["resources"].topic_arn)
    # WHEN such a message is published
    with pytest.raises(MessageRefused) as raised:
        topic.publish(alert(subject="x" * 101))
    # THEN it is a refusal of that message (sending it again cannot help), with SNS's words
    assert not isinstance(raised.value, DependencyError)
    assert "InvalidParameter: Subject must be less than 100 characters" in raised.value.message


@pytest.mark.parametrize(
    ("code", "status", "refused"),
    [
        ("InvalidParameter", 400, True),  # a parameter of this message is wrong
        ("ParameterValueInvalid", 400, True),  # the code of InvalidParameterValueException
        ("ValidationException", 400, True),
        ("Throttling", 400, False),  # too fast: later it goes
        ("KMSThrottling", 400, False),
        ("InternalError", 500, False),  # SNS's own trouble
        ("ServiceUnavailable", 503, False),
        ("NotFound", 404, False),  # the topic is gone: an operator restores it
        ("AuthorizationError", 403, False),  # the policy is wrong: an operator fixes it
    ],
)
def test_sns_errors_are_told_apart_as_refusals_of_the_message_or_outages(
    aws: dict[str, Any],
    code: str,
    status: int,
    refused: bool,
) -> None:
    # GIVEN SNS answering every publish with one of its errors
    client = aws["clients"]["sns"]
    SnsRefusal(code, "no", status).install(client)
    topic = SnsTopic(client, aws["resources"].topic_arn)
    # WHEN an alert is published, THEN only a refusal of the message itself is a MessageRefused
    with pytest.raises((MessageRefused, DependencyError)) as raised:
        topic.publish(alert())
    assert isinstance(raised.value, MessageRefused) is refused
    assert isinstance(raised.value, DependencyError) is not refused
    assert f"{code}: no" in raised.value.message


def test_a_connection_that_fails_is_an_outage(aws: dict[str, Any]) -> None:
    # GIVEN an SNS endpoint that cannot be reached
    client = aws["clients"]["sns"]

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sns.invalid")

    client.meta.events.register("before-call.sns.Publish", unreachable)
    # WHEN an alert is published, THEN it is an outage (the outbox retries it)
    with pytest.raises(DependencyError, match="Could not connect"):
        SnsTopic(client, aws["resources"].topic_arn).publish(alert())
