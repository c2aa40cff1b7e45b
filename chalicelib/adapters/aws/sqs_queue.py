"""SqsQueue: batched sends with per-entry receipts and retries of the entries SQS did not take."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DependencyError
from chalicelib.domain.messages import OutgoingMessage, SendReceipt

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
BACKOFF_SECONDS = 0.2
MAX_DELAY_SECONDS = 900


class SqsQueue:
    def __init__(
        self,
        client: SQSClient,
        queue_name: str,
        *,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._queue_name = queue_name
        self._attempts = attempts
        self._sleep = sleep
        self._queue_url: str | None = None

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendReceipt]:
        receipts: dict[str, SendReceipt] = {}
        pending = list(messages)
        for attempt in range(self._attempts):
            retry: list[OutgoingMessage] = []
            for batch in _batches(pending):
                retry.extend(self._send_batch(batch, receipts))
            if not retry:
                break
            pending = retry
            if attempt + 1 < self._attempts:
                self._sleep(BACKOFF_SECONDS * 2**attempt)
        return [receipts[message.entry_id] for message in messages]

    def _send_batch(
        self, batch: list[OutgoingMessage], receipts: dict[str, SendReceipt]
    ) -> list[OutgoingMessage]:
        """Send one batch; record final receipts, return the entries worth another try."""
        try:
            answer = self._client.send_message_batch(
                QueueUrl=self.queue_url(),
                Entries=[_entry(message) for message in batch],
            )
        except (BotoCoreError, ClientError, DependencyError) as exc:
            for message in batch:
                receipts[message.entry_id] = SendReceipt(message.entry_id, False, _reason(exc))
            return batch
        by_id = {message.entry_id: message for message in batch}
        for success in answer.get("Successful", []):
            receipts[success["Id"]] = SendReceipt(success["Id"], True)
        retry = []
        for failure in answer.get("Failed", []):
            reason = f"SQS {failure.get('Code')}: {failure.get('Message', '')}".strip()
            receipts[failure["Id"]] = SendReceipt(failure["Id"], False, reason)
            if not failure.get("SenderFault"):
                retry.append(by_id[failure["Id"]])
        return retry

    def queue_url(self) -> str:
        if self._queue_url is None:
            try:
                answer = self._client.get_queue_url(QueueName=self._queue_name)
            except (BotoCoreError, ClientError) as exc:
                raise DependencyError(
                    f"queue {self._queue_name!r} unavailable: {_reason(exc)}"
                ) from exc
            self._queue_url = str(answer["QueueUrl"])
        return self._queue_url

    def ping(self) -> None:
        try:
            self._client.get_queue_attributes(
                QueueUrl=self.queue_url(), AttributeNames=["QueueArn"]
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(
                f"queue {self._queue_name!r} unavailable: {_reason(exc)}"
            ) from exc


def _entry(message: OutgoingMessage) -> SendMessageBatchRequestEntryTypeDef:
    entry: SendMessageBatchRequestEntryTypeDef = {
        "Id": message.entry_id,
        "MessageBody": message.body,
    }
    if message.delay_seconds > 0:
        entry["DelaySeconds"] = min(message.delay_seconds, MAX_DELAY_SECONDS)
    return entry


def _batches(messages: list[OutgoingMessage]) -> Iterator[list[OutgoingMessage]]:
    """At most 10 entries and 256 KiB of bodies per SendMessageBatch call."""
    batch: list[OutgoingMessage] = []
    size = 0
    for message in messages:
        body_size = len(message.body.encode())
        if batch and (len(batch) == MAX_BATCH_ENTRIES or size + body_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += body_size
    if batch:
        yield batch


def _reason(exc: Exception) -> str:
    if isinstance(exc, DependencyError):
        return exc.message
    return str(exc).splitlines()[0][:300]
