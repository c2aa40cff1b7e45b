"""SNS's subject rule on the local runtime's moto server: a subject real SNS refuses is refused here
too, over HTTP and with SNS's error, so the local mailbox shows what on-call would (not) get.

moto itself refuses only subjects over 100 characters; control characters, other scripts and a
leading space go through it to every subscriber.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.aws.sns_topic import SnsTopic
from chalicelib.domain.alerts import OutgoingAlert
from chalicelib.domain.errors import MessageRefused
from tripline.local.moto_server import GuardedMotoServer


@pytest.fixture
def sns(moto: GuardedMotoServer) -> Any:
    return boto3.client("sns", endpoint_url=moto.url, region_name="us-east-1")


@pytest.fixture
def topic(sns: Any) -> str:
    return str(sns.create_topic(Name="alerts")["TopicArn"])


@pytest.mark.parametrize(
    "subject",
    [
        "[HIGH] large-payment: merchant=acme\r\nBcc: everyone",  # a line break
        "[HIGH] large-payment: merchant=\x1b[31macme",  # a control character
        "[HIGH] large-payment: merchant=Zürich",  # not ASCII
        " [HIGH] large-payment",  # begins with a space
        "x" * 100,  # not under 100 characters
    ],
)
def test_a_subject_sns_refuses_is_refused_with_snss_error(
    sns: Any, topic: str, subject: str
) -> None:
    # WHEN a message with that subject is published to the local topic
    with pytest.raises(ClientError) as raised:
        sns.publish(TopicArn=topic, Subject=subject, Message="body")
    # THEN the answer is SNS's: 400 InvalidParameter, naming the subject
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "InvalidParameter",
        "Invalid parameter: Subject",
    )


def test_a_subject_sns_takes_and_a_message_without_one_go_through(sns: Any, topic: str) -> None:
    assert sns.publish(
        TopicArn=topic,
        Subject="[HIGH] large-payment: merchant=acme ...",
        Message="Zürich\r\n is fine in a body",
    )["MessageId"]
    assert sns.publish(TopicArn=topic, Subject="x" * 99, Message="body")["MessageId"]
    assert sns.publish(TopicArn=topic, Message="no subject at all")["MessageId"]


def test_the_alerts_topic_adapter_sees_the_local_refusal_as_a_refusal(sns: Any, topic: str) -> None:
    message = OutgoingAlert("[HIGH] rule: merchant=\x07", "body", {"severity": "high"})
    with pytest.raises(MessageRefused, match="InvalidParameter: Invalid parameter: Subject"):
        SnsTopic(sns, topic).publish(message)
