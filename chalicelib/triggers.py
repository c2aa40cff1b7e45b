"""The trigger edge: Lambda event records to our ``QueueMessage`` values, and a batch's answer.

A failed message is put back with a time to come back (``domain.retries``), then named in
``batchItemFailures``: Lambda leaves it in flight until then, so a database outage spends a
message's deliveries over minutes instead of seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.domain.messages import QueueMessage
from chalicelib.domain.retries import RetrySchedule
from chalicelib.ports import Redelivery


def sqs_messages(records: Iterable[Mapping[str, Any]]) -> list[QueueMessage]:
    """SQS event records as AWS sends them (``event.to_dict()["Records"]``)."""
    return [
        QueueMessage(
            message_id=str(record["messageId"]),
            body=str(record.get("body", "")),
            receive_count=int(record.get("attributes", {}).get("ApproximateReceiveCount", 1)),
            receipt_handle=str(record.get("receiptHandle", "")),
            queue_arn=str(record.get("eventSourceARN", "")),
        )
        for record in records
    ]


def answer_batch(
    messages: Sequence[QueueMessage],
    failed_message_ids: Sequence[str],
    *,
    redelivery: Redelivery,
    schedule: RetrySchedule,
) -> dict[str, Any]:
    """Postpone each failed message by its backoff, then the partial-batch answer."""
    failed = set(failed_message_ids)
    if failed:
        redelivery.postpone(
            [
                (message, schedule.delay(message.receive_count))
                for message in messages
                if message.message_id in failed
            ]
        )
    return batch_item_failures(failed_message_ids)


def batch_item_failures(failed_message_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """The partial-batch answer Lambda reads when ``ReportBatchItemFailures`` is on."""
    return {"batchItemFailures": [{"itemIdentifier": one} for one in failed_message_ids]}
