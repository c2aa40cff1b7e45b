"""Small builders for test inputs: an event item, an SQS event as Lambda delivers it, a fixed clock."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_counter = itertools.count(1)


def event_item(**overrides: Any) -> dict[str, Any]:
    """A valid event item as an integrator would post it; override any field, or drop it with None."""
    item: dict[str, Any] = {
        "source": "shop",
        "type": "order.created",
        "id": f"evt-{next(_counter)}",
        "occurred_at": "2026-11-22T08:30:00Z",
        "data": {"amount": 12.5, "store": "berlin-1"},
    }
    item.update(overrides)
    return {key: value for key, value in item.items() if value is not None}


def sqs_record(body: str, *, message_id: str | None = None, receive_count: int = 1) -> dict[str, Any]:
    """One record shaped as Lambda's SQS event source sends it (unique messageId by default)."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": f"handle-{uuid.uuid4()}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1795300000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1795300000001",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:tripline-events",
        "awsRegion": "us-east-1",
    }


def sqs_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)
