"""What an event is and how it enters: validation, the queue envelope, the intake plan of a
POSTed payload, conforming to a source's declared fields, and the read-side query and views.

- :mod:`.model`: :class:`Event`, :func:`validate_event`, the limits;
- :mod:`.batch`: a processor's batch on its way to storage, and what storing it did;
- :mod:`.intake`: a payload to per-item decisions (:func:`plan_intake`, :func:`settle`);
- :mod:`.envelopes`: the events queue's message, encoded and decoded;
- :mod:`.conform`: an event's data checked against its source's declared columns;
- :mod:`.queries`: ``GET /events`` filters, cursor and views;
- :mod:`.rejections`: ``GET /rejections``, the rejected items with their errors.

Imports the kernel and ``sources``.
"""

from __future__ import annotations

from chalicelib.domain.events.batch import (
    ArrivedEvent,
    RejectedItem,
    RowEvent,
    StoreOutcome,
)
from chalicelib.domain.events.conform import (
    conform_event,
)
from chalicelib.domain.events.envelopes import (
    EventEnvelope,
    UndecodableMessage,
    decode_envelope,
    encode_envelope,
)
from chalicelib.domain.events.intake import (
    ItemResult,
    ItemStatus,
    extract_items,
    plan_intake,
    settle,
)
from chalicelib.domain.events.model import (
    EARLIEST,
    FUTURE_TOLERANCE,
    MAX_EVENT_ID_LENGTH,
    SOURCE,
    TYPE,
    Event,
    Limits,
    validate_event,
)
from chalicelib.domain.events.queries import (
    Cursor,
    EventPage,
    EventQuery,
    EventView,
    parse_event_query,
)
from chalicelib.domain.events.rejections import (
    RejectionPage,
    RejectionQuery,
    RejectionView,
    parse_rejection_query,
)

__all__ = [
    "EARLIEST",
    "FUTURE_TOLERANCE",
    "MAX_EVENT_ID_LENGTH",
    "SOURCE",
    "TYPE",
    "ArrivedEvent",
    "Cursor",
    "Event",
    "EventEnvelope",
    "EventPage",
    "EventQuery",
    "EventView",
    "ItemResult",
    "ItemStatus",
    "Limits",
    "RejectedItem",
    "RejectionPage",
    "RejectionQuery",
    "RejectionView",
    "RowEvent",
    "StoreOutcome",
    "UndecodableMessage",
    "conform_event",
    "decode_envelope",
    "encode_envelope",
    "extract_items",
    "parse_event_query",
    "parse_rejection_query",
    "plan_intake",
    "settle",
    "validate_event",
]
