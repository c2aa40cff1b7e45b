"""moto's SQS with the local runtime's speedups answers as moto does: counts, visibility, delay,
deletion by any receipt handle a message had, retention. Against the guarded server the runtime
runs (the ``moto`` fixture), through boto3."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tripline.local.moto_server import GuardedMotoServer
from tripline.local.moto_speedups import apply_moto_speedups

COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@pytest.fixture
def sqs(moto: GuardedMotoServer) -> Any:
    return boto3.client("sqs", endpoint_url=moto.url, region_name="us-east-1")


@pytest.fixture
def queue(sqs: Any) -> str:
    url: str = sqs.create_queue(QueueName=f"speed-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url


def counts(sqs: Any, queue: str) -> tuple[int, int, int]:
    found = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=COUNTS)["Attributes"]
    visible, not_visible, delayed = (int(found[name]) for name in COUNTS)
    return visible, not_visible, delayed


def receive(sqs: Any, queue: str, visibility: int) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=visibility
    )
    return list(answer.get("Messages", []))


def test_the_speedups_apply_to_this_moto(moto: GuardedMotoServer) -> None:
    # GIVEN the guarded server started THEN moto had the shape the speedups were written for
    # (a moto release that changes it runs unpatched, and this test says so)
    assert apply_moto_speedups() is True


def test_counts_follow_sends_receives_delays_and_deletes(sqs: Any, queue: str) -> None:
    # GIVEN two messages ready and one delayed for a minute
    sqs.send_message(QueueUrl=queue, MessageBody="a")
    sqs.send_message(QueueUrl=queue, MessageBody="b")
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=60)
    assert counts(sqs, queue) == (2, 0, 1)

    # WHEN the ready ones are received for a minute THEN they are in flight, the delayed one
    # still delayed and not delivered
    received = receive(sqs, queue, visibility=60)
    assert sorted(m["Body"] for m in received) == ["a", "b"]
    assert counts(sqs, queue) == (0, 2, 1)

    # WHEN one is deleted THEN only the other stays in flight
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=received[0]["ReceiptHandle"])
    assert counts(sqs, queue) == (0, 1, 1)


def test_a_message_is_deleted_by_any_handle_it_had_once_and_only_by_those(
    sqs: Any, queue: str
) -> None:
    # GIVEN a message received twice (visible again at once after the first receive)
    sqs.send_message(QueueUrl=queue, MessageBody="twice")
    [first] = receive(sqs, queue, visibility=0)
    [second] = receive(sqs, queue, visibility=60)
    assert first["ReceiptHandle"] != second["ReceiptHandle"]

    # WHEN it is deleted with its first handle THEN it is gone
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"])
    assert counts(sqs, queue) == (0, 0, 0)
    # AND deleting it again, by either handle, is no error, as on SQS
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=second["ReceiptHandle"])

    # WHEN a handle no message ever had is used THEN SQS's error answers
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=queue, ReceiptHandle="not-a-handle")


def test_a_message_past_its_retention_is_not_delivered(sqs: Any, queue: str) -> None:
    # GIVEN a queue keeping messages a minute, and a message sent two minutes ago
    from moto.sqs.models import sqs_backends

    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"MessageRetentionPeriod": "60"})
    sqs.send_message(QueueUrl=queue, MessageBody="old")
    stored = sqs_backends["123456789012"]["us-east-1"].queues[queue.rsplit("/", 1)[1]]
    stored._messages[0].sent_timestamp -= 120_000  # moto's clock is its own: move the message

    # WHEN the queue is read THEN the message is not delivered
    assert receive(sqs, queue, visibility=30) == []
