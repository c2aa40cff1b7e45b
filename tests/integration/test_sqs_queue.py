"""SqsQueue on moto: batches of ten, per-entry receipts, retries of what SQS did not take."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.adapters.aws.sqs_queue import SqsQueue
from chalicelib.domain.errors import DependencyError
from chalicelib.domain.messages import OutgoingMessage
from chalicelib.topology import EVENTS_QUEUE


class FlakySqs:
    """A real moto client whose first batch send fails the listed entries (fault injection)."""

    def __init__(self, client: Any, fail_ids: set[str], sender_fault: bool = False) -> None:
        self._client = client
        self._fail_ids = fail_ids
        self._sender_fault = sender_fault
        self.batch_sizes: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803
        self.batch_sizes.append(len(Entries))
        failing = [e for e in Entries if e["Id"] in self._fail_ids]
        answer = (
            self._client.send_message_batch(
                QueueUrl=QueueUrl, Entries=[e for e in Entries if e["Id"] not in self._fail_ids]
            )
            if len(failing) < len(Entries)
            else {"Successful": []}
        )
        answer["Failed"] = [
            {
                "Id": e["Id"],
                "SenderFault": self._sender_fault,
                "Code": "InternalError",
                "Message": "try again",
            }
            for e in failing
        ]
        if not self._sender_fault:
            self._fail_ids -= {e["Id"] for e in failing}
        return answer


def drain(client: Any, url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        bodies.extend(json.loads(m["Body"]) for m in got)
        for m in got:
            client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def messages(n: int) -> list[OutgoingMessage]:
    return [OutgoingMessage(str(i), json.dumps({"n": i})) for i in range(n)]


def test_25_messages_go_in_batches_of_ten_and_all_arrive(aws: dict[str, Any]) -> None:
    # GIVEN 25 messages
    sqs = aws["clients"]["sqs"]
    flaky = FlakySqs(sqs, set())
    # WHEN sent
    receipts = SqsQueue(flaky, EVENTS_QUEUE, sleep=lambda _: None).send(messages(25))
    # THEN three calls of 10, 10, 5 and every message is on the queue once
    assert flaky.batch_sizes == [10, 10, 5]
    assert all(r.queued for r in receipts)
    assert sorted(b["n"] for b in drain(sqs, aws["resources"].queue_urls[EVENTS_QUEUE])) == list(
        range(25)
    )


def test_entries_sqs_failed_are_retried_and_then_queued(aws: dict[str, Any]) -> None:
    # GIVEN SQS fails entries 3 and 7 once, on its side
    sqs = aws["clients"]["sqs"]
    flaky = FlakySqs(sqs, {"3", "7"})
    # WHEN ten messages are sent
    receipts = SqsQueue(flaky, EVENTS_QUEUE, sleep=lambda _: None).send(messages(10))
    # THEN the two are retried alone, and all ten arrive exactly once
    assert flaky.batch_sizes == [10, 2]
    assert [r.entry_id for r in receipts] == [str(i) for i in range(10)]
    assert all(r.queued for r in receipts)
    assert len(drain(sqs, aws["resources"].queue_urls[EVENTS_QUEUE])) == 10


def test_sender_fault_is_not_retried_and_is_reported(aws: dict[str, Any]) -> None:
    # GIVEN SQS refuses entry 1 as the sender's fault
    flaky = FlakySqs(aws["clients"]["sqs"], {"1"}, sender_fault=True)
    # WHEN sent
    receipts = SqsQueue(flaky, EVENTS_QUEUE, sleep=lambda _: None).send(messages(3))
    # THEN no retry, and the receipt says why
    assert flaky.batch_sizes == [3]
    assert [r.queued for r in receipts] == [True, False, True]
    assert receipts[1].error is not None and "InternalError" in receipts[1].error


def test_missing_queue_reports_every_entry_not_queued(aws: dict[str, Any]) -> None:
    queue = SqsQueue(aws["clients"]["sqs"], "no-such-queue", attempts=2, sleep=lambda _: None)
    receipts = queue.send(messages(2))
    assert [r.queued for r in receipts] == [False, False]
    assert all("no-such-queue" in (r.error or "") for r in receipts)
    with pytest.raises(DependencyError):
        queue.ping()


def test_large_bodies_split_batches_under_256_kib(aws: dict[str, Any]) -> None:
    # GIVEN ten messages of 40 KiB each (400 KiB in all)
    flaky = FlakySqs(aws["clients"]["sqs"], set())
    big = [OutgoingMessage(str(i), "x" * 40 * 1024) for i in range(10)]
    # WHEN sent THEN no call carries more than 256 KiB (six of 40 KiB fit)
    SqsQueue(flaky, EVENTS_QUEUE, sleep=lambda _: None).send(big)
    assert flaky.batch_sizes == [6, 4]
