"""SqsDeadLetters: what waits on each queue's dead-letter queue, a look at it, and a way back.

A message lands on ``<queue>-dlq`` after ``maxReceiveCount`` failed deliveries (topology.QUEUES).
Once its cause is fixed, an operator moves it back to the queue it came from; processing is
idempotent (events by ``(source, event_id)``, CSV rows by ``(upload_id, line)``, uploads by their
claim), so a message that was in fact processed before, or is moved twice, changes nothing.

SQS's native ``StartMessageMoveTask`` is not used: it runs asynchronously with no per-message
outcome and no "first N only", and moto (the local runtime and the tests) does not implement it.
The manual path below sends a copy to the source queue and deletes the original only after the
send succeeded, so a crash in between duplicates a message rather than losing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DependencyError, NotFound
from chalicelib.topology import QUEUES, QueueSpec

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        MessageAttributeValueOutputTypeDef,
        MessageTypeDef,
        SendMessageBatchRequestEntryTypeDef,
    )

MAX_BATCH = 10  # SQS's limit for ReceiveMessage, SendMessageBatch and DeleteMessageBatch
HOLD_SECONDS = 60  # how long messages being read or moved stay hidden from other readers
NAME_PREFIX = "tripline-"


@dataclass(frozen=True)
class DeadLetterCount:
    queue: str
    dead_letter_queue: str
    waiting: int  # ApproximateNumberOfMessages: visible, ready to be read or redriven
    in_flight: int  # ApproximateNumberOfMessagesNotVisible: held by a reader right now

    @property
    def messages(self) -> int:
        return self.waiting + self.in_flight


@dataclass(frozen=True)
class DeadLetter:
    """One message on a DLQ, as it was sent to its source queue.

    ``receive_count`` is SQS's ApproximateReceiveCount: it carries over from the source queue
    (``maxReceiveCount`` there is why it is here) and counts every peek and redrive attempt since,
    the one that read it included.
    """

    message_id: str
    body: str
    sent_at: datetime | None
    receive_count: int | None
    attributes: dict[str, MessageAttributeValueOutputTypeDef]  # as SendMessage takes them


@dataclass(frozen=True)
class RedriveFailure:
    message_id: str
    reason: str


@dataclass(frozen=True)
class RedriveReport:
    queue: str
    dead_letter_queue: str
    moved: tuple[str, ...]  # message ids (the DLQ's) now deleted there and sent to ``queue``
    failed: tuple[RedriveFailure, ...]  # still on the DLQ, or (said in the reason) on both


def find_queue(name: str) -> QueueSpec:
    """``events``, ``tripline-events`` and ``tripline-events-dlq`` all name the same pair."""
    for spec in QUEUES:
        short = spec.name.removeprefix(NAME_PREFIX)
        if name in (short, f"{short}-dlq", spec.name, spec.dead_letter_queue):
            return spec
    known = ", ".join(spec.name.removeprefix(NAME_PREFIX) for spec in QUEUES)
    raise NotFound(f"no queue named {name!r}; the queues are {known} (or their full names)")


class SqsDeadLetters:
    def __init__(
        self, client: SQSClient, *, wait_seconds: int = 1, hold_seconds: int = HOLD_SECONDS
    ) -> None:
        # A long poll (wait_seconds > 0) asks every SQS server; a short one samples a few and can
        # answer "empty" while messages wait, which would end a peek or a redrive early.
        self._client = client
        self._wait_seconds = wait_seconds
        self._hold_seconds = hold_seconds
        self._urls: dict[str, str] = {}

    def counts(self) -> list[DeadLetterCount]:
        """Every queue's DLQ. No "oldest message" age: SQS publishes it only as a CloudWatch
        metric, and a peek samples messages in no particular order, so neither is cheap and true."""
        return [self.count(spec.name) for spec in QUEUES]

    def count(self, queue: str) -> DeadLetterCount:
        spec = find_queue(queue)
        with _sqs_errors(spec.dead_letter_queue, "get_queue_attributes"):
            attributes = self._client.get_queue_attributes(
                QueueUrl=self._url(spec.dead_letter_queue),
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        return DeadLetterCount(
            spec.name,
            spec.dead_letter_queue,
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )

    def peek(self, queue: str, limit: int = 10) -> list[DeadLetter]:
        """Up to ``limit`` messages of the queue's DLQ, left there.

        Receiving is the only way SQS shows a message. With VisibilityTimeout=0 a second receive
        hands back the same first messages (moto always, SQS often), so a peek past ten would
        never get past them: each message is instead hidden while the peek walks the queue and
        every one is made visible again at the end (after ``hold_seconds`` at worst, should this
        process die). Each receive adds one to the message's receive count on the DLQ, which is
        harmless: a DLQ has no redrive policy of its own, so no count sends it anywhere.
        """
        spec = find_queue(queue)
        found: dict[str, DeadLetter] = {}
        handles: list[str] = []
        try:
            while len(found) < limit:
                got = self._receive(spec.dead_letter_queue, min(MAX_BATCH, limit - len(found)))
                handles += [message["ReceiptHandle"] for message in got]
                fresh = [message for message in got if message["MessageId"] not in found]
                if not fresh:
                    break
                found.update((message["MessageId"], _letter(message)) for message in fresh)
        finally:
            self._release(spec.dead_letter_queue, handles)
        return list(found.values())

    def redrive(self, queue: str, limit: int | None = None) -> RedriveReport:
        """Move up to ``limit`` messages (all when None) from the DLQ back to its source queue,
        ten at a time: send body and message attributes, then delete what was sent. A message
        whose send failed stays on the DLQ (visible again when this returns) with its reason."""
        spec = find_queue(queue)
        moved: list[str] = []
        failed: list[RedriveFailure] = []
        held: list[str] = []  # receipt handles of messages left on the DLQ, released at the end
        seen: set[str] = set()
        try:
            while (room := _room(limit, len(moved) + len(failed))) > 0:
                got = self._receive(spec.dead_letter_queue, room)
                # a message seen before (its send failed, its hold ran out) is not tried twice
                held += [m["ReceiptHandle"] for m in got if m["MessageId"] in seen]
                batch = [m for m in got if m["MessageId"] not in seen]
                if not batch:
                    break
                seen.update(m["MessageId"] for m in batch)
                sent, not_sent = self._send(spec.name, batch)
                failed += not_sent
                unsent = {failure.message_id for failure in not_sent}
                held += [m["ReceiptHandle"] for m in batch if m["MessageId"] in unsent]
                done, not_deleted = self._delete(spec.dead_letter_queue, spec.name, sent)
                moved += done
                failed += not_deleted
        except DependencyError as error:
            raise DependencyError(
                f"{error.message} (after moving {len(moved)} message(s) back to {spec.name})"
            ) from error
        finally:
            self._release(spec.dead_letter_queue, held)
        return RedriveReport(spec.name, spec.dead_letter_queue, tuple(moved), tuple(failed))

    def _receive(self, queue_name: str, count: int) -> list[MessageTypeDef]:
        with _sqs_errors(queue_name, "receive_message"):
            answer = self._client.receive_message(
                QueueUrl=self._url(queue_name),
                MaxNumberOfMessages=count,
                VisibilityTimeout=self._hold_seconds,
                WaitTimeSeconds=self._wait_seconds,
                MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
                MessageAttributeNames=["All"],
            )
        return list(answer.get("Messages", []))

    def _send(
        self, queue_name: str, batch: list[MessageTypeDef]
    ) -> tuple[list[MessageTypeDef], list[RedriveFailure]]:
        """The messages the source queue took, and a failure for each it did not."""
        entries = [_entry(str(n), message) for n, message in enumerate(batch)]
        try:
            with _sqs_errors(queue_name, "send_message_batch"):
                answer = self._client.send_message_batch(
                    QueueUrl=self._url(queue_name), Entries=entries
                )
        except DependencyError as error:
            return [], [RedriveFailure(m["MessageId"], error.message) for m in batch]
        sent = [batch[int(entry["Id"])] for entry in answer.get("Successful", [])]
        failures = [
            RedriveFailure(
                batch[int(entry["Id"])]["MessageId"],
                f"SQS {entry.get('Code')}: {entry.get('Message', '')}".strip(),
            )
            for entry in answer.get("Failed", [])
        ]
        return sent, failures

    def _delete(
        self, dlq_name: str, queue_name: str, sent: list[MessageTypeDef]
    ) -> tuple[list[str], list[RedriveFailure]]:
        if not sent:
            return [], []
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(sent)
        ]
        try:
            with _sqs_errors(dlq_name, "delete_message_batch"):
                answer = self._client.delete_message_batch(
                    QueueUrl=self._url(dlq_name), Entries=entries
                )
            failed = {entry["Id"]: entry.get("Message", "") for entry in answer.get("Failed", [])}
        except DependencyError as error:
            failed = {entry["Id"]: error.message for entry in entries}
        done = [m["MessageId"] for n, m in enumerate(sent) if str(n) not in failed]
        twice = [
            RedriveFailure(
                sent[int(n)]["MessageId"],
                f"sent to {queue_name} but still on the DLQ ({why}): a later "
                "redrive sends it again, which processing tolerates",
            )
            for n, why in failed.items()
        ]
        return done, twice

    def _release(self, queue_name: str, handles: Iterable[str]) -> None:
        """Make held messages visible at once. Best effort: should this fail, each comes back by
        itself when its hold ends, so the error is not worth hiding the operation's outcome."""
        pending = list(handles)
        for start in range(0, len(pending), MAX_BATCH):
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(n), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for n, handle in enumerate(pending[start : start + MAX_BATCH])
            ]
            try:
                with _sqs_errors(queue_name, "change_message_visibility_batch"):
                    self._client.change_message_visibility_batch(
                        QueueUrl=self._url(queue_name), Entries=entries
                    )
            except DependencyError:
                return

    def _url(self, queue_name: str) -> str:
        if queue_name not in self._urls:
            try:
                answer = self._client.get_queue_url(QueueName=queue_name)
            except (BotoCoreError, ClientError) as exc:
                raise DependencyError(
                    f"queue {queue_name!r} unavailable: {_first_line(exc)}"
                ) from exc
            self._urls[queue_name] = str(answer["QueueUrl"])
        return self._urls[queue_name]


@contextmanager
def _sqs_errors(queue_name: str, operation: str) -> Iterator[None]:
    """botocore's errors as ours, naming the queue and the operation (``_url``'s own
    ``DependencyError`` passes through unchanged)."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise DependencyError(
            f"queue {queue_name!r}: {operation} failed: {_first_line(exc)}"
        ) from exc


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300]


def _entry(entry_id: str, message: MessageTypeDef) -> SendMessageBatchRequestEntryTypeDef:
    entry: SendMessageBatchRequestEntryTypeDef = {"Id": entry_id, "MessageBody": message["Body"]}
    if attributes := _attributes(message):
        entry["MessageAttributes"] = attributes
    return entry


def _room(limit: int | None, done: int) -> int:
    return MAX_BATCH if limit is None else min(MAX_BATCH, limit - done)


def _letter(message: MessageTypeDef) -> DeadLetter:
    system = message.get("Attributes", {})
    sent = system.get("SentTimestamp")
    count = system.get("ApproximateReceiveCount")
    return DeadLetter(
        message_id=message["MessageId"],
        body=message["Body"],
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        receive_count=int(count) if count else None,
        attributes=_attributes(message),
    )


def _attributes(message: MessageTypeDef) -> dict[str, MessageAttributeValueOutputTypeDef]:
    """Message attributes as SendMessage takes them (receive adds empty list fields it refuses)."""
    return {
        name: _sendable(attribute)
        for name, attribute in message.get("MessageAttributes", {}).items()
    }


def _sendable(attribute: MessageAttributeValueOutputTypeDef) -> MessageAttributeValueOutputTypeDef:
    kept: MessageAttributeValueOutputTypeDef = {"DataType": attribute["DataType"]}
    if "StringValue" in attribute:
        kept["StringValue"] = attribute["StringValue"]
    if "BinaryValue" in attribute:
        kept["BinaryValue"] = attribute["BinaryValue"]
    return kept
