"""The benchmark's input: SQS events of ten records, each record an envelope the API would queue.

Bodies are built with the real ``encode_envelope`` and records with the test suite's ``sqs_record``,
so the processor sees exactly what Lambda hands it in production and in the tests. Every input is
deterministic (no clock, no randomness in the items) so two runs store the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.envelopes import EventEnvelope, encode_envelope
from tests.builders import sqs_event, sqs_record

BATCH_SIZE = 10  # the processor's batch_size in app.py, and Lambda's SQS default
SOURCES = ("shop", "billing", "warehouse", "auth")
RECEIVED_AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def event_item(index: int) -> dict[str, Any]:
    """An item as an integrator posts it: a few sources, a small ``data`` object."""
    occurred = RECEIVED_AT - timedelta(seconds=index)
    return {
        "source": SOURCES[index % len(SOURCES)],
        "type": "order.created" if index % 3 else "payment.failed",
        "id": f"evt-{index:08d}",
        "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
        "data": {"amount": round(index * 0.37, 2), "store": f"berlin-{index % 7}",
                 "items": index % 5 + 1, "note": "gift wrap"},
    }


def envelope_body(index: int) -> str:
    """The queue message body the API writes for item ``index`` (one API request per batch)."""
    received = RECEIVED_AT + timedelta(milliseconds=index // BATCH_SIZE)
    item = event_item(index)
    return encode_envelope(EventEnvelope(item=item, event_id=item["id"], received_at=received))


def sqs_batches(count: int) -> list[dict[str, Any]]:
    """``count`` envelopes as SQS events of ``BATCH_SIZE`` records each (the last may hold fewer)."""
    records = [sqs_record(envelope_body(index)) for index in range(count)]
    return [sqs_event(*records[start:start + BATCH_SIZE])
            for start in range(0, count, BATCH_SIZE)]


def one_batch(first: int) -> dict[str, Any]:
    """One SQS event of ``BATCH_SIZE`` records, for items ``first`` onwards."""
    return sqs_event(*(sqs_record(envelope_body(index)) for index in range(first, first + BATCH_SIZE)))
