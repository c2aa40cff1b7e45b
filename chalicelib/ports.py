"""The I/O the services need, as narrow Protocols; adapters implement them, tests use the real ones.

Every port speaks in domain values and raises only ``TriplineError`` children, so a service never
sees a boto3 or SQLAlchemy type and never needs to know which database or queue is behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.errors import Detail
from chalicelib.domain.events import Event
from chalicelib.domain.queries import EventPage, EventQuery, EventView


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


@dataclass(frozen=True)
class OutgoingMessage:
    """``entry_id`` is the caller's handle for the per-entry receipt."""

    entry_id: str
    body: str


@dataclass(frozen=True)
class SendReceipt:
    entry_id: str
    queued: bool
    error: str | None = None


class MessageQueue(Protocol):
    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendReceipt]:
        """Send all messages, retrying what can be retried; one receipt per message."""

    def ping(self) -> None:
        """Raise ``DependencyError`` when the queue cannot be reached."""


@dataclass(frozen=True)
class QueueMessage:
    """A delivered message as the trigger hands it; the id is stable across redeliveries."""

    message_id: str
    body: str
    receive_count: int = 1


@dataclass(frozen=True)
class ArrivedEvent:
    """A valid event with the raw item it came from, ready to store."""

    event: Event
    raw_payload: str
    message_id: str


@dataclass(frozen=True)
class RejectedItem:
    """Something that reached the pipeline and can never become an event.

    ``item_key`` makes storing it idempotent: a redelivered message is recorded once.
    """

    item_key: str
    reason: str
    errors: tuple[Detail, ...]
    payload: str
    received_at: datetime
    source: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class StoreOutcome:
    stored: int
    duplicates: int
    rejected: int


class EventStore(Protocol):
    def store(self, arrived: Sequence[ArrivedEvent], rejected: Sequence[RejectedItem]) -> StoreOutcome:
        """Write raw and processed rows and rejections in one transaction; replays change nothing."""


class EventReader(Protocol):
    def list_events(self, query: EventQuery) -> EventPage: ...

    def get_event(self, source: str, event_id: str) -> EventView | None: ...

    def ping(self) -> None:
        """Raise ``DependencyError`` when the database cannot be reached."""
