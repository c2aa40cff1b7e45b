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
        "source": "checkout",  # declares no columns: its data is free-form
        "type": "order.created",
        "id": f"evt-{next(_counter)}",
        "occurred_at": "2026-11-22T08:30:00Z",
        "data": {"amount": 12.5, "store": "berlin-1"},
    }
    item.update(overrides)
    return {key: value for key, value in item.items() if value is not None}


def sqs_record(
    body: str,
    *,
    message_id: str | None = None,
    receive_count: int = 1,
    queue: str = "tripline-events",
) -> dict[str, Any]:
    """One record shaped as Lambda's SQS event source sends it (unique messageId by default),
    from ``queue`` in moto's account."""
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
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
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


def rule(**overrides: Any) -> Any:
    """A checked rule as the rule parser would build it: a match rule on every event by default.

    ``when`` may be given as expression text, compiled against ``field_types`` (default: any).
    """
    from dataclasses import replace

    from chalicelib.domain.expressions import compile_expression
    from chalicelib.domain.rules import Rule
    from chalicelib.domain.rules.templates import literal_template

    types = overrides.pop("field_types", {})
    when = overrides.pop("when", None)
    if isinstance(when, str):
        names = {
            "source": "string",
            "type": "string",
            "id": "string",
            "occurred_at": "timestamp",
            "received_at": "timestamp",
        }
        compiled = compile_expression(when, names | types)
        assert not isinstance(compiled, list), compiled
        when = compiled
    base = Rule(
        id="r",
        description="A test rule",
        enabled=True,
        kind="match",
        sources=(),
        types=(),
        severity="high",
        group_by=(),
        labels={},
        runbook=None,
        message=literal_template("fired"),
        when=when,
        threshold=None,
        absence=None,
        resolve_after=None,
        version="v1",
        state_version="s1",
        file="rules/r.yaml",
        line=1,
    )
    return replace(base, **overrides)
