"""The trigger edge: Lambda event records to our ``QueueMessage`` values and back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.ports import QueueMessage


def sqs_messages(records: Iterable[Mapping[str, Any]]) -> list[QueueMessage]:
    """SQS event records as AWS sends them (``event.to_dict()["Records"]``)."""
    return [
        QueueMessage(
            message_id=str(record["messageId"]),
            body=str(record.get("body", "")),
            receive_count=int(record.get("attributes", {}).get("ApproximateReceiveCount", 1)),
        )
        for record in records
    ]


def batch_item_failures(failed_message_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """The partial-batch answer Lambda reads when ``ReportBatchItemFailures`` is on."""
    return {"batchItemFailures": [{"itemIdentifier": one} for one in failed_message_ids]}
