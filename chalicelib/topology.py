"""The AWS resources Tripline runs on, by name: one list for app.py, the local runtime and infra/.

Chalice binds SQS triggers to queue names when it imports ``app.py`` (before any configuration is
read), so the names are constants. One stage per account and region keeps them from colliding; a
test checks ``infra/`` declares exactly these queues with these redrive settings.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENTS_QUEUE = "tripline-events"


@dataclass(frozen=True)
class QueueSpec:
    name: str
    dead_letter_queue: str
    max_receive_count: int
    visibility_timeout_seconds: int


QUEUES: tuple[QueueSpec, ...] = (
    # Six times the processor's 30 s timeout, as AWS advises for SQS event sources.
    QueueSpec(EVENTS_QUEUE, f"{EVENTS_QUEUE}-dlq", max_receive_count=5,
              visibility_timeout_seconds=180),
)
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
BUCKET = "tripline-data"
ALERTS_TOPIC = "tripline-alerts"
