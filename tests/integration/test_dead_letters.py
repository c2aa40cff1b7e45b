"""SqsDeadLetters on moto: counts, a peek that takes nothing, a redrive that loses nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.aws.dead_letters import SqsDeadLetters, find_queue
from chalicelib.domain.errors import DependencyError, NotFound
from chalicelib.topology import EVENTS_QUEUE, ROWS_QUEUE


def dead_letters(aws: dict[str, Any]) -> SqsDeadLetters:
    return SqsDeadLetters(aws["clients"]["sqs"], wait_seconds=0)


def bury(aws: dict[str, Any], queue: str, bodies: list[str], **attributes: str) -> None:
    """Put messages on ``queue``'s DLQ as if they had failed there (a string attribute each)."""
    sqs, url = aws["clients"]["sqs"], aws["resources"].queue_urls[f"{queue}-dlq"]
    extra = {
        name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
    }
    for body in bodies:
        sqs.send_message(
            QueueUrl=url, MessageBody=body, **({"MessageAttributes": extra} if extra else {})
        )


def drain(aws: dict[str, Any], queue_name: str) -> list[dict[str, Any]]:
    sqs, url = aws["clients"]["sqs"], aws["resources"].queue_urls[queue_name]
    taken: list[dict[str, Any]] = []
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        taken += got
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return taken


def bodies(n: int) -> list[str]:
    return [json.dumps({"n": i}) for i in range(n)]


def waiting(aws: dict[str, Any], queue: str) -> int:
    return next(c.messages for c in dead_letters(aws).counts() if c.queue == queue)


def test_counts_name_every_queue_and_what_waits_on_its_dlq(aws: dict[str, Any]) -> None:
    # GIVEN three messages on the events DLQ and none elsewhere
    bury(aws, EVENTS_QUEUE, bodies(3))
    # WHEN counted
    counts = dead_letters(aws).counts()
    # THEN each queue is listed with its DLQ and how many wait there
    assert [(c.queue, c.dead_letter_queue, c.messages) for c in counts] == [
        ("tripline-events", "tripline-events-dlq", 3),
        ("tripline-uploads", "tripline-uploads-dlq", 0),
        ("tripline-rows", "tripline-rows-dlq", 0),
        ("tripline-reports", "tripline-reports-dlq", 0),
        ("tripline-replays", "tripline-replays-dlq", 0),
    ]


def test_peek_shows_messages_and_leaves_them_on_the_dlq(aws: dict[str, Any]) -> None:
    # GIVEN 13 messages (more than one receive returns) with a message attribute
    bury(aws, EVENTS_QUEUE, bodies(13), kind="event")
    adapter = dead_letters(aws)
    # WHEN peeked at twice, all and then the first five
    everything = adapter.peek("events", limit=50)
    five = adapter.peek("events", limit=5)
    # THEN every message was shown once, with its attributes, and all are still there, visible
    assert sorted(json.loads(letter.body)["n"] for letter in everything) == list(range(13))
    assert len({letter.message_id for letter in everything}) == 13
    assert len(five) == 5
    first = everything[0]
    assert first.attributes == {"kind": {"DataType": "String", "StringValue": "event"}}
    assert first.sent_at is not None and first.receive_count is not None
    assert first.receive_count >= 1
    assert len(drain(aws, "tripline-events-dlq")) == 13


def test_redrive_moves_exactly_the_dlq_messages_back(aws: dict[str, Any]) -> None:
    # GIVEN 23 messages on the events DLQ, each with an attribute
    sent = bodies(23)
    bury(aws, EVENTS_QUEUE, sent, kind="event")
    # WHEN redriven
    report = dead_letters(aws).redrive("tripline-events-dlq")
    # THEN all moved, none failed, the DLQ is empty, and the queue holds the same bodies and
    # attributes, each once
    assert len(report.moved) == 23 and report.failed == ()
    assert (report.queue, report.dead_letter_queue) == ("tripline-events", "tripline-events-dlq")
    assert waiting(aws, EVENTS_QUEUE) == 0
    back = drain(aws, EVENTS_QUEUE)
    assert sorted(message["Body"] for message in back) == sorted(sent)
    assert {message["MessageAttributes"]["kind"]["StringValue"] for message in back} == {"event"}


def test_redrive_with_a_limit_moves_that_many_and_leaves_the_rest(aws: dict[str, Any]) -> None:
    bury(aws, ROWS_QUEUE, bodies(12))
    report = dead_letters(aws).redrive("rows", limit=4)
    assert len(report.moved) == 4
    assert len(drain(aws, ROWS_QUEUE)) == 4
    assert waiting(aws, ROWS_QUEUE) == 8


def test_a_failed_send_leaves_the_messages_on_the_dlq(aws: dict[str, Any]) -> None:
    # GIVEN five messages on the DLQ and a source queue that refuses every batch send
    bury(aws, EVENTS_QUEUE, bodies(5))
    sqs = aws["clients"]["sqs"]

    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "SendMessageBatch"
        )

    sqs.meta.events.register("before-call.sqs.SendMessageBatch", refuse)
    # WHEN redriven
    try:
        report = dead_letters(aws).redrive("events")
    finally:
        sqs.meta.events.unregister("before-call.sqs.SendMessageBatch", refuse)
    # THEN nothing moved, each failure says why, the queue is empty and the DLQ holds all five,
    # visible again at once
    assert report.moved == ()
    assert len(report.failed) == 5
    assert all("ServiceUnavailable" in failure.reason for failure in report.failed)
    assert drain(aws, EVENTS_QUEUE) == []
    assert sorted(m["Body"] for m in drain(aws, "tripline-events-dlq")) == sorted(bodies(5))


def test_an_entry_sqs_refuses_stays_on_the_dlq_and_the_rest_move(aws: dict[str, Any]) -> None:
    # GIVEN three messages, the source queue refusing the one whose body is {"n": 1}
    bury(aws, EVENTS_QUEUE, bodies(3))
    sqs = aws["clients"]["sqs"]
    refused: list[dict[str, Any]] = []

    def hold_back(params: dict[str, Any], **_: Any) -> None:
        refused.extend(e for e in params["Entries"] if e["MessageBody"] == bodies(3)[1])
        params["Entries"] = [e for e in params["Entries"] if e not in refused]

    def answer_failed(parsed: dict[str, Any], **_: Any) -> None:
        parsed["Failed"] = [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try again"}
            for e in refused
        ]

    sqs.meta.events.register("provide-client-params.sqs.SendMessageBatch", hold_back)
    sqs.meta.events.register("after-call.sqs.SendMessageBatch", answer_failed)
    # WHEN redriven
    try:
        report = dead_letters(aws).redrive("events")
    finally:
        sqs.meta.events.unregister("provide-client-params.sqs.SendMessageBatch", hold_back)
        sqs.meta.events.unregister("after-call.sqs.SendMessageBatch", answer_failed)
    # THEN two moved, the refused one failed with SQS's reason and is the only one left
    assert len(report.moved) == 2
    assert [failure.reason for failure in report.failed] == ["SQS InternalError: try again"]
    assert sorted(m["Body"] for m in drain(aws, EVENTS_QUEUE)) == [bodies(3)[0], bodies(3)[2]]
    assert [m["Body"] for m in drain(aws, "tripline-events-dlq")] == [bodies(3)[1]]


@pytest.mark.parametrize(
    "name", ["uploads", "uploads-dlq", "tripline-uploads", "tripline-uploads-dlq"]
)
def test_a_queue_is_named_short_full_or_by_its_dlq(name: str) -> None:
    assert find_queue(name).name == "tripline-uploads"


def test_an_unknown_queue_names_the_known_ones() -> None:
    with pytest.raises(NotFound) as raised:
        find_queue("payments")
    assert "events, uploads, rows" in str(raised.value)


def test_a_missing_dlq_is_a_dependency_error_naming_it(aws: dict[str, Any]) -> None:
    # GIVEN the rows DLQ was never created (here: deleted)
    aws["clients"]["sqs"].delete_queue(QueueUrl=aws["resources"].queue_urls["tripline-rows-dlq"])
    # WHEN its count is asked THEN the error says which queue
    with pytest.raises(DependencyError, match="tripline-rows-dlq"):
        dead_letters(aws).count("rows")
