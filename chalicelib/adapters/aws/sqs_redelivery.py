"""SqsRedelivery: a failed message's next delivery, set by changing its visibility timeout.

Lambda's SQS event source leaves a failed message (one named in ``batchItemFailures``) in
flight until the queue's visibility timeout ends; it never changes it. So the function sets it
itself, per message, before it answers: ``ChangeMessageVisibilityBatch`` with the receipt handle
the event record carries, on the queue its ARN names.

The queue's URL is built from the ARN and the client's endpoint (``https://sqs.<region>.…`` on AWS,
moto's locally), which needs no ``GetQueueUrl`` call and no permission for one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.messages import QueueMessage
from chalicelib.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef

MAX_BATCH_ENTRIES = 10


class SqsRedelivery:
    def __init__(self, client: SQSClient) -> None:
        self._client = client

    def postpone(self, messages: Sequence[tuple[QueueMessage, int]]) -> None:
        by_queue: dict[str, list[tuple[QueueMessage, int]]] = defaultdict(list)
        for message, seconds in messages:
            if message.receipt_handle and message.queue_arn:
                by_queue[message.queue_arn].append((message, seconds))
        for queue_arn, waiting in by_queue.items():
            for start in range(0, len(waiting), MAX_BATCH_ENTRIES):
                self._postpone_batch(queue_arn, waiting[start : start + MAX_BATCH_ENTRIES])

    def _postpone_batch(self, queue_arn: str, batch: Sequence[tuple[QueueMessage, int]]) -> None:
        entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
            {
                "Id": str(index),
                "ReceiptHandle": message.receipt_handle,
                "VisibilityTimeout": seconds,
            }
            for index, (message, seconds) in enumerate(batch)
        ]
        try:
            answer = self._client.change_message_visibility_batch(
                QueueUrl=queue_url(self._client.meta.endpoint_url, queue_arn), Entries=entries
            )
        except (BotoCoreError, ClientError) as exc:
            logger().warning(
                "could not postpone failed messages; the queue's visibility timeout applies",
                extra={"queue_arn": queue_arn, "messages": len(batch), "reason": str(exc)},
            )
            return
        for failure in answer.get("Failed", []):
            message = batch[int(failure["Id"])][0]
            logger().warning(
                "could not postpone a failed message; the queue's visibility timeout applies",
                extra={
                    "queue_arn": queue_arn,
                    "message_id": message.message_id,
                    "reason": failure.get("Message", ""),
                },
            )


def queue_url(endpoint_url: str, queue_arn: str) -> str:
    """``<endpoint>/<account>/<name>`` for ``arn:aws:sqs:<region>:<account>:<name>``."""
    *_, account, name = queue_arn.split(":")
    return f"{endpoint_url.rstrip('/')}/{account}/{name}"
