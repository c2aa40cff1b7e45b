"""A processor's batch on its way to storage: what arrived, what can never become an event, and
what storing them did.

An event comes from a queued envelope (:class:`ArrivedEvent`, its raw item kept beside it) or
from a line of an upload (:class:`RowEvent`, its raw form the stored chunk). What can never be an
event is kept as a :class:`RejectedItem`, never dropped; its ``item_key`` makes a redelivery
record it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.errors import Detail
from chalicelib.domain.events.model import Event


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
    upload_id: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class RowEvent:
    """A valid event read from line ``line`` of an upload; the raw row is the stored chunk."""

    event: Event
    upload_id: str
    line: int


@dataclass(frozen=True)
class StoreOutcome:
    stored: int
    duplicates: int
    rejected: int
    matched: int = 0  # rule matches recorded for the events this call stored
    notices: int = 0  # alert notifications those matches queued in the outbox
