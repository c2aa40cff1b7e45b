"""The trigger edge: SQS records as Lambda sends them, and the partial-batch answer it reads."""

from __future__ import annotations

from chalicelib.ports import QueueMessage
from chalicelib.triggers import batch_item_failures, sqs_messages
from tests.builders import sqs_event, sqs_record


def test_sqs_records_become_queue_messages_with_id_body_and_receive_count() -> None:
    # GIVEN two records, the second delivered for the third time
    event = sqs_event(
        sqs_record('{"v": 1}', message_id="m-1"),
        sqs_record("second body", message_id="m-2", receive_count=3),
    )
    # WHEN they are read
    messages = sqs_messages(event["Records"])
    # THEN each keeps its id and body, and the receive count is a number
    assert messages == [
        QueueMessage(message_id="m-1", body='{"v": 1}', receive_count=1),
        QueueMessage(message_id="m-2", body="second body", receive_count=3),
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
