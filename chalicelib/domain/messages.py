"""Queue messages as the services see them: one to send, its receipt, and one delivered.

Every queue speaks these (the events and rows queues, the uploads queue's notifications, the
redelivery of a failed one), whichever service sends or reads it, so they sit in the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingMessage:
    """``entry_id`` is the caller's handle for the per-entry receipt; ``delay_seconds`` (at most
    900, SQS's limit) keeps the message from being received that long."""

    entry_id: str
    body: str
    delay_seconds: int = 0


@dataclass(frozen=True)
class SendReceipt:
    entry_id: str
    queued: bool
    error: str | None = None


@dataclass(frozen=True)
class QueueMessage:
    """A delivered message as the trigger hands it; the id is stable across redeliveries. The
    receipt handle and queue ARN say where to put it back later (``ports.Redelivery``)."""

    message_id: str
    body: str
    receive_count: int = 1
    receipt_handle: str = ""
    queue_arn: str = ""
