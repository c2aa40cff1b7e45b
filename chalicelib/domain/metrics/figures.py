"""Figures read fresh at each scrape: nothing is counted in process memory, since a Lambda
container may serve one scrape and never the next, and two containers would disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AlertCount:
    """Alerts not yet resolved, of one kind (``rule``, ``operations`` for pipeline incidents,
    or ``external`` for another tool's, sent to ``/v2/enqueue``), severity and status (``open``
    or ``acknowledged``)."""

    kind: str
    severity: str
    status: str
    alerts: int


@dataclass(frozen=True)
class StoredCounts:
    """What the database holds right now. A source of None in ``rejected_by_source`` is an item
    rejected before its source could be read."""

    events_by_source: Mapping[str, int]
    rejected_by_source: Mapping[str | None, int]
    uploads_by_status: Mapping[str, int]
    alerts: tuple[AlertCount, ...]
    notifications_pending: int


@dataclass(frozen=True)
class QueueDepth:
    """One queue and its dead-letter queue, as SQS approximates them."""

    queue: str
    waiting: int  # ApproximateNumberOfMessages: visible, ready to be received
    in_flight: int  # ApproximateNumberOfMessagesNotVisible: received, not yet deleted
    dead_letter_queue: str
    dead_letters: int  # the DLQ's visible and in-flight messages


@dataclass(frozen=True)
class PipelineFigures:
    stored: StoredCounts
    queues: tuple[QueueDepth, ...]
