"""The trigger edge: SQS records as Lambda sends them, and the partial-batch answer it reads."""

from __future__ import annotations

from chalicelib.domain.messages import QueueMessage
from chalicelib.domain.retries import RetrySchedule
from chalicelib.settings import Settings
from chalicelib.topology import QUEUES
from chalicelib.triggers import batch_item_failures, sqs_messages
from tests.builders import sqs_event, sqs_record
from tripline.local.runtime import LocalOptions, local_environment


def test_sqs_records_become_queue_messages_with_id_body_and_receive_count() -> None:
    # GIVEN two records, the second delivered for the third time
    event = sqs_event(
        sqs_record('{"v": 1}', message_id="m-1"),
        sqs_record("second body", message_id="m-2", receive_count=3),
    )
    # WHEN they are read
    messages = sqs_messages(event["Records"])
    # THEN each keeps its id and body, the receive count is a number, and where to put it back
    # is kept: its receipt handle and queue
    first, second = event["Records"]
    assert messages == [
        QueueMessage(
            message_id="m-1",
            body='{"v": 1}',
            receive_count=1,
            receipt_handle=first["receiptHandle"],
            queue_arn=first["eventSourceARN"],
        ),
        QueueMessage(
            message_id="m-2",
            body="second body",
            receive_count=3,
            receipt_handle=second["receiptHandle"],
            queue_arn=second["eventSourceARN"],
        ),
    ]


def test_record_without_attributes_counts_as_first_delivery() -> None:
    # GIVEN a bare record with only an id and a body
    record = {"messageId": "m-1", "body": "x"}
    # WHEN it is read
    messages = sqs_messages([record])
    # THEN it is a first delivery
    assert messages[0].receive_count == 1


def test_no_records_give_no_messages() -> None:
    # GIVEN an empty batch
    # WHEN it is read
    messages = sqs_messages(sqs_event()["Records"])
    # THEN there is nothing to process
    assert messages == []


def test_batch_item_failures_lists_each_failed_message_id() -> None:
    # GIVEN two messages that failed
    # WHEN the partial-batch answer is built
    answer = batch_item_failures(["m-2", "m-5"])
    # THEN it has the shape Lambda reads
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-5"}]}


def test_batch_without_failures_answers_an_empty_list() -> None:
    # GIVEN a batch that fully succeeded
    # WHEN the partial-batch answer is built
    answer = batch_item_failures([])
    # THEN the list is present and empty, so Lambda deletes every message
    assert answer == {"batchItemFailures": []}


def test_a_failed_message_comes_back_after_a_wait_that_doubles_up_to_the_longest() -> None:
    # GIVEN the default schedule: 30 s first, at most 300 s
    schedule = RetrySchedule(first_seconds=30, longest_seconds=300)
    # WHEN a message fails on its first to tenth delivery
    waits = [schedule.delay(count) for count in range(1, 11)]
    # THEN it waits 30, 60, 120, 240 s, then 300 s each time
    assert waits == [30, 60, 120, 240, 300, 300, 300, 300, 300, 300]
    # AND ten deliveries cover a database outage of 32.5 minutes, where a retry every second
    # would have covered nine seconds
    assert schedule.outage_covered(max_receive_count=10) == 1950
    assert RetrySchedule(1, 1).outage_covered(max_receive_count=10) == 9
    # AND no wait passes SQS's limit of 12 hours, however often it failed
    assert RetrySchedule(3600, 10**9).delay(10**6) == 12 * 3600


def test_the_local_runtime_covers_an_outage_of_more_than_a_minute() -> None:
    # GIVEN the local runtime's schedule (1 s, at most 15 s) and the queues' redrive policy
    env: dict[str, str] = {}
    local_environment(env, LocalOptions())
    local = Settings.from_env(env).retry_schedule
    # THEN no message is dead-lettered by a database outage of a minute and a half
    for spec in QUEUES:
        assert local.outage_covered(spec.max_receive_count) >= 90
