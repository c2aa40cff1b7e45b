"""The local SQS pump against moto: Lambda's event shape, partial failures, retries and the DLQ."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.aws.sqs_redelivery import SqsRedelivery
from chalicelib.domain.retries import RetrySchedule
from chalicelib.topology import (
    EVENTS_QUEUE,
    QUEUES,
    REPLAYS_QUEUE,
    REPORTS_QUEUE,
    ROWS_QUEUE,
    UPLOADS_QUEUE,
)
from chalicelib.triggers import answer_batch, sqs_messages
from tripline.local.pump import LambdaSettings, SqsPump, start_pump
from tripline.local.triggers import MAX_LOCAL_CONCURRENCY, local_concurrency, sqs_triggers

RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}
LAMBDA_ATTRIBUTES = {
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
}


AT_ONCE = RetrySchedule(0, 0)


class RecordingHandler:
    """A Lambda function stand-in: records each invocation, fails the records it is told to and
    answers as app.py's triggers do (``answer_batch``: each failed record postponed by
    ``retry``, on the queue its record names)."""

    def __init__(
        self,
        fail_bodies: frozenset[str] = frozenset(),
        raises: bool = False,
        retry: RetrySchedule = AT_ONCE,
    ) -> None:
        self.fail_bodies = fail_bodies
        self.raises = raises
        self.retry = retry
        self.calls: list[tuple[dict[str, Any], Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append((event, context))
        if self.raises:
            raise RuntimeError("database went away")
        failed = [r["messageId"] for r in event["Records"] if r["body"] in self.fail_bodies]
        redelivery = SqsRedelivery(boto3.client("sqs", region_name="us-east-1"))
        return answer_batch(
            sqs_messages(event["Records"]), failed, redelivery=redelivery, schedule=self.retry
        )

    def records(self) -> list[dict[str, Any]]:
        return [record for event, _ in self.calls for record in event["Records"]]


@pytest.fixture
def sqs(aws: dict[str, Any]) -> Any:
    return aws["clients"]["sqs"]


@pytest.fixture
def queue_url(aws: dict[str, Any]) -> str:
    return str(aws["resources"].queue_urls[EVENTS_QUEUE])


def send(sqs: Any, queue_url: str, *bodies: str, **extra: Any) -> list[str]:
    return [
        sqs.send_message(QueueUrl=queue_url, MessageBody=body, **extra)["MessageId"]
        for body in bodies
    ]


def receive_all(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
    )
    return list(answer.get("Messages", []))


def pump(sqs: Any, queue_url: str, handler: RecordingHandler, **options: Any) -> SqsPump:
    return SqsPump(sqs, queue_url, handler, batch_size=10, wait_seconds=0, **options)


def test_failed_record_is_redelivered_and_the_rest_deleted(sqs: Any, queue_url: str) -> None:
    # GIVEN three messages and a handler that reports the middle one as failed, to come back
    # after a second
    ids = send(sqs, queue_url, "one", "bad", "three")
    handler = RecordingHandler(fail_bodies=frozenset({"bad"}), retry=RetrySchedule(1, 1))

    # WHEN the pump polls once
    result = pump(sqs, queue_url, handler, retry_after_seconds=0).poll_once()

    # THEN the other two are deleted and the failed one is back after the handler's backoff,
    # once more
    assert result.received == 3
    assert sorted(result.deleted) == sorted([ids[0], ids[2]])
    assert result.left == (ids[1],)
    assert receive_all(sqs, queue_url) == []  # invisible during the backoff, not 180 s
    time.sleep(1.2)
    again = receive_all(sqs, queue_url)
    assert [m["MessageId"] for m in again] == [ids[1]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_the_pump_leaves_a_failed_record_as_long_as_the_handler_postponed_it(
    sqs: Any, queue_url: str
) -> None:
    # GIVEN a message the handler fails and puts back for 30 seconds (a database outage's
    # backoff), and a pump that would retry a crashed batch after a second
    [message_id] = send(sqs, queue_url, "bad")
    handler = RecordingHandler(fail_bodies=frozenset({"bad"}), retry=RetrySchedule(30, 30))
    poller = pump(sqs, queue_url, handler, retry_after_seconds=1)

    # WHEN the pump polls, and polls again after its own retry time
    first = poller.poll_once()
    time.sleep(1.5)
    second = poller.poll_once()

    # THEN the message is still waiting out the handler's backoff: one delivery, not two
    assert first.left == (message_id,)
    assert second.received == 0
    assert [record["messageId"] for record in handler.records()] == [message_id]


def test_a_handler_that_raises_leaves_the_whole_batch(sqs: Any, queue_url: str) -> None:
    # GIVEN two messages and a handler that raises
    ids = send(sqs, queue_url, "one", "two")

    # WHEN the pump polls once
    result = pump(sqs, queue_url, RecordingHandler(raises=True), retry_after_seconds=0).poll_once()

    # THEN nothing is deleted, the error is reported, and both come back
    assert result.deleted == ()
    assert sorted(result.left) == sorted(ids)
    assert result.error == "RuntimeError: database went away"
    again = receive_all(sqs, queue_url)
    assert sorted(m["MessageId"] for m in again) == sorted(ids)
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in again} == {"2"}


def test_an_answer_naming_a_record_not_in_the_batch_fails_the_whole_batch(
    sqs: Any, queue_url: str
) -> None:
    # GIVEN two messages and a handler whose answer names an id Lambda would not recognise
    ids = send(sqs, queue_url, "one", "two")

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "no-such-message"}]}

    # WHEN the pump polls once
    result = SqsPump(sqs, queue_url, handler, wait_seconds=0, retry_after_seconds=0).poll_once()

    # THEN, as Lambda does, the whole batch stays on the queue
    assert result.deleted == ()
    assert sorted(result.left) == sorted(ids)
    assert result.error is not None and "no-such-message" in result.error
    assert len(receive_all(sqs, queue_url)) == 2


def test_a_message_failing_repeatedly_ends_in_the_dead_letter_queue(
    aws: dict[str, Any], sqs: Any, queue_url: str
) -> None:
    # GIVEN a message the handler always fails at once, on the queue whose redrive policy allows
    # maxReceiveCount receives
    spec = next(spec for spec in QUEUES if spec.name == EVENTS_QUEUE)
    [message_id] = send(sqs, queue_url, "poison")
    handler = RecordingHandler(fail_bodies=frozenset({"poison"}))
    poller = pump(sqs, queue_url, handler, retry_after_seconds=0)

    # WHEN the pump polls once more than maxReceiveCount allows
    results = [poller.poll_once() for _ in range(spec.max_receive_count + 1)]

    # THEN the handler saw it maxReceiveCount times, then the queue moved it to the DLQ
    counts = [int(r["attributes"]["ApproximateReceiveCount"]) for r in handler.records()]
    assert counts == list(range(1, spec.max_receive_count + 1))
    assert results[-1].received == 0
    assert receive_all(sqs, queue_url) == []
    dead = receive_all(sqs, aws["resources"].queue_urls[spec.dead_letter_queue])
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(message_id, "poison")]


def test_the_handler_gets_lambdas_sqs_event_and_context(sqs: Any, queue_url: str) -> None:
    # GIVEN three messages, one carrying a string and a binary message attribute
    attributes = {
        "tenant": {"DataType": "String", "StringValue": "acme"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    ids = send(sqs, queue_url, "first") + send(
        sqs, queue_url, "second", "third", MessageAttributes=attributes
    )
    handler = RecordingHandler()
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]

    # WHEN the pump polls once
    function = LambdaSettings("tripline-local-process_events")
    pump(sqs, queue_url, handler, function=function).poll_once()

    # THEN one invocation got one record per message, each shaped as Lambda shapes it
    [(event, context)] = handler.calls
    records = event["Records"]
    assert sorted(r["messageId"] for r in records) == sorted(ids)
    for record in records:
        assert RECORD_KEYS <= set(record) <= RECORD_KEYS | {"md5OfMessageAttributes"}
        assert set(record["attributes"]) >= LAMBDA_ATTRIBUTES
        assert all(isinstance(value, str) for value in record["attributes"].values())
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
            "aws:sqs",
            arn,
            "us-east-1",
        )
    shaped = next(r for r in records if r["body"] == "second")["messageAttributes"]
    assert shaped == {
        "tenant": {
            "stringValue": "acme",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": "AAE=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert context.function_name == "tripline-local-process_events"
    assert context.aws_request_id and context.memory_limit_in_mb == 512
    assert 0 < context.get_remaining_time_in_millis() <= 30_000


def test_the_loop_polls_until_stopped(sqs: Any, queue_url: str) -> None:
    # GIVEN a running pump loop
    handler = RecordingHandler()
    stop = threading.Event()
    thread = start_pump(SqsPump(sqs, queue_url, handler, wait_seconds=0), stop, "test")

    # WHEN a message arrives and then the loop is asked to stop
    [message_id] = send(sqs, queue_url, "hello")
    deadline = time.monotonic() + 5
    while not handler.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=5)

    # THEN the message was handed over and deleted, and the thread has ended
    assert [r["messageId"] for r in handler.records()] == [message_id]
    assert receive_all(sqs, queue_url) == []
    assert not thread.is_alive()


def test_the_apps_sqs_triggers_are_pumped_with_their_queues_and_batch_sizes() -> None:
    # GIVEN the Chalice app
    import app

    # WHEN its SQS triggers are read
    triggers = sqs_triggers(app.app)

    # THEN each processor is found with the callable Lambda would invoke
    assert [(t.name, t.queue, t.batch_size) for t in triggers] == [
        ("process_events", EVENTS_QUEUE, 10),
        ("fan_out_uploads", UPLOADS_QUEUE, 1),
        ("process_rows", ROWS_QUEUE, 4),
        ("generate_reports", REPORTS_QUEUE, 1),
        ("run_replays", REPLAYS_QUEUE, 1),
    ]
    handlers = [
        app.process_events,
        app.fan_out,
        app.process_rows,
        app.generate_reports,
        app.run_replays,
    ]
    assert [t.handler for t in triggers] == handlers


def test_local_pollers_follow_each_functions_reserved_concurrency(tmp_path: Path) -> None:
    # GIVEN a stage where one function reserves 2, one 50 and one nothing
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "stages": {
                    "local": {
                        "lambda_functions": {
                            "a": {"reserved_concurrency": 2},
                            "b": {"reserved_concurrency": 50},
                            "c": {},
                        }
                    }
                }
            }
        )
    )
    # WHEN the local concurrency is read THEN it follows it, capped for one process
    assert local_concurrency(config) == {"a": 2, "b": MAX_LOCAL_CONCURRENCY, "c": 1}
    # AND a missing file means one poller each
    assert local_concurrency(tmp_path / "missing.json") == {}
