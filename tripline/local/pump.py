"""SqsPump: what Lambda's SQS event source mapping does, for one queue and one handler, locally.

Each poll long-polls the queue, hands the batch to the handler exactly as Lambda would (the event
shape of ``lambda_events``, a Lambda-like context) and carries out its answer the way a mapping with
``ReportBatchItemFailures`` does: the records named in ``batchItemFailures`` stay on the queue, the
rest are deleted; an answer naming an identifier that is not in the batch, or a handler that raises,
leaves the whole batch.

A record named in ``batchItemFailures`` is left exactly as the handler left it: the handler has
set when it comes back (``triggers.answer_batch``, the same code on AWS), and the pump must not
undo that. Only a batch the handler could not answer (it raised, or named strange records) is made
visible again after ``retry_after_seconds``, instead of the queue's visibility timeout (minutes,
sized for Lambda), so a local crash loop retries in seconds.

Dead-lettering is the queue's job, as on AWS: moto honours the redrive policy on receive (a message
whose receive count would pass ``maxReceiveCount`` goes to the DLQ instead of being returned), which
a test of this module pins down. The pump therefore never moves messages itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from chalice.local import LambdaContext

from tripline.local.lambda_events import sqs_lambda_event
from tripline.local.logs import local_logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        MessageTypeDef,
    )

log = local_logger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
MAX_RECEIVE = 10
RETRY_AFTER_SECONDS = 1
WAIT_SECONDS = 1
PAUSE_AFTER_SQS_ERROR_SECONDS = 1.0


def keep_polling(
    poll_once: Callable[[], object], stop: threading.Event, queue_url: str, warning: str
) -> None:
    """Poll until ``stop`` is set; an SQS outage pauses the loop instead of ending it."""
    while not stop.is_set():
        try:
            poll_once()
        except (BotoCoreError, ClientError) as exc:
            if not stop.is_set():
                log.warning(warning, extra={"queue_url": queue_url, "error": str(exc)})
                stop.wait(PAUSE_AFTER_SQS_ERROR_SECONDS)


@dataclass(frozen=True)
class PollResult:
    """What one poll did: ids deleted, ids left for redelivery, and why the whole batch was left."""

    received: int = 0
    deleted: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class LambdaSettings:
    """The function's identity as its context reports it; timeout as Lambda would enforce it."""

    function_name: str = "local"
    memory_mb: int = 512
    timeout_seconds: int = 30
    region: str = "us-east-1"


class SqsPump:
    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        handler: Handler,
        *,
        batch_size: int = MAX_RECEIVE,
        function: LambdaSettings = LambdaSettings(),
        retry_after_seconds: int = RETRY_AFTER_SECONDS,
        wait_seconds: int = WAIT_SECONDS,
    ) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self._handler = handler
        self._batch_size = max(1, min(batch_size, MAX_RECEIVE))
        self._function = function
        self._retry_after = retry_after_seconds
        self._wait = wait_seconds
        self._queue_arn: str | None = None

    def poll_once(self) -> PollResult:
        """Receive one batch, invoke the handler once, settle every message of the batch."""
        messages = self._receive()
        if not messages:
            return PollResult()
        ids = tuple(str(message["MessageId"]) for message in messages)
        event = sqs_lambda_event(messages, queue_arn=self.queue_arn(), region=self._function.region)
        try:
            answer = self._handler(event, self._context())
        except Exception as exc:  # arbitrary code: Lambda survives anything a handler raises
            log.exception(
                "handler raised; the whole batch stays on the queue",
                extra={"queue_url": self.queue_url, "messages": len(ids)},
            )
            self._retry_later(messages)
            return PollResult(len(ids), left=ids, error=f"{type(exc).__name__}: {exc}")
        failed, problem = failed_message_ids(answer, ids)
        if problem:
            log.warning(
                "unusable batchItemFailures; the whole batch stays on the queue",
                extra={"queue_url": self.queue_url, "problem": problem},
            )
            self._retry_later(messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(done)
        left = tuple(one for one in ids if one in failed)
        return PollResult(len(ids), tuple(m["MessageId"] for m in done), left, problem)

    def run(self, stop: threading.Event) -> None:
        keep_polling(self.poll_once, stop, self.queue_url, "SQS poll failed; retrying")

    def queue_arn(self) -> str:
        if self._queue_arn is None:
            answer = self._sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
            )
            self._queue_arn = str(answer["Attributes"]["QueueArn"])
        return self._queue_arn

    def _receive(self) -> list[MessageTypeDef]:
        answer = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(answer.get("Messages", []))

    def _context(self) -> Any:
        return LambdaContext(
            function_name=self._function.function_name,
            memory_size=self._function.memory_mb,
            max_runtime_ms=self._function.timeout_seconds * 1000,
        )

    def _delete(self, messages: Sequence[MessageTypeDef]) -> None:
        if not messages:
            return
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
        ]
        answer = self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        for failure in answer.get("Failed", []):
            log.warning(
                "could not delete a handled message; it will be delivered again",
                extra={"queue_url": self.queue_url, "error": failure.get("Message")},
            )

    def _retry_later(self, messages: Sequence[MessageTypeDef]) -> None:
        if not messages:
            return
        entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
            {
                "Id": str(index),
                "ReceiptHandle": message["ReceiptHandle"],
                "VisibilityTimeout": self._retry_after,
            }
            for index, message in enumerate(messages)
        ]
        self._sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)


def failed_message_ids(answer: object, batch: Sequence[str]) -> tuple[set[str], str | None]:
    """The ids to leave on the queue, read as Lambda reads a partial-batch response.

    No answer, or one without ``batchItemFailures``, means every record succeeded. An identifier
    that is empty or not in the batch makes Lambda treat the whole batch as failed; so do we.
    """
    if not isinstance(answer, Mapping) or not answer.get("batchItemFailures"):
        return set(), None
    failures = answer["batchItemFailures"]
    if not isinstance(failures, list):
        return set(batch), f"batchItemFailures is not a list: {failures!r}"
    named = [f.get("itemIdentifier") if isinstance(f, Mapping) else None for f in failures]
    strange = [one for one in named if not one or one not in batch]
    if strange:
        return set(batch), f"itemIdentifier not in the batch: {strange!r}"
    return {str(one) for one in named}, None


def start_pump(pump: SqsPump, stop: threading.Event, name: str) -> threading.Thread:
    """The pump's loop on a daemon thread, so a stuck handler cannot keep the process alive."""
    thread = threading.Thread(target=pump.run, args=(stop,), name=f"pump-{name}", daemon=True)
    thread.start()
    return thread
