"""The message the API puts on the events queue, and its decoding in the processor.

The envelope carries the item exactly as the integrator sent it (that is the *raw* event), plus
what the API decided on receipt: the event id it assigned when the item had none, and the time of
receipt. Keeping the raw item, not a normalized copy, lets the processor store raw and processed
side by side and lets a later fix to normalization be replayed from raw.

An item another protocol sent (a CloudEvent, a Segment call) travels as that protocol sent it,
with the protocol's name and the Tripline source the API decided for it; the processor reads it
into Tripline's shape as the API did (``domain.protocols``). Tripline's own items carry neither,
so their messages are what they always were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.json_values import parse_timestamp
from chalicelib.domain.protocols import PROTOCOLS, TRIPLINE, IncomingItem

ENVELOPE_VERSION = 1
EVENT_KIND = "event"


@dataclass(frozen=True)
class EventEnvelope:
    item: dict[str, Any]
    event_id: str
    received_at: datetime
    protocol: str = TRIPLINE
    source: str | None = None  # the source decided for another protocol's item

    def incoming(self) -> IncomingItem:
        return IncomingItem(self.item, self.protocol, self.source)


class UndecodableMessage(ValueError):
    """A queue message that no retry can make sense of; it becomes a rejected item."""


def encode_envelope(envelope: EventEnvelope) -> str:
    message: dict[str, Any] = {
        "v": ENVELOPE_VERSION,
        "kind": EVENT_KIND,
        "event_id": envelope.event_id,
        "received_at": envelope.received_at.isoformat(),
        "item": envelope.item,
    }
    if envelope.protocol != TRIPLINE:
        message |= {"protocol": envelope.protocol, "source": envelope.source}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def decode_envelope(body: str) -> EventEnvelope:
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise UndecodableMessage(f"message body is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise UndecodableMessage("message body is not a JSON object")
    version = message.get("v")
    if type(version) is not int or version != ENVELOPE_VERSION or message.get("kind") != EVENT_KIND:
        raise UndecodableMessage(
            f"unknown envelope (v={message.get('v')!r}, kind={message.get('kind')!r}); "
            f"expected v={ENVELOPE_VERSION}, kind={EVENT_KIND!r}"
        )
    received_at = parse_timestamp(message.get("received_at"))
    if isinstance(received_at, str):
        raise UndecodableMessage(f"envelope received_at {received_at}")
    event_id, item = message.get("event_id"), message.get("item")
    if not isinstance(event_id, str) or not isinstance(item, dict):
        raise UndecodableMessage("envelope needs a string event_id and an object item")
    protocol, source = message.get("protocol", TRIPLINE), message.get("source")
    if protocol not in PROTOCOLS or not isinstance(source, str | None):
        raise UndecodableMessage(
            f"unknown envelope protocol {protocol!r} (source {source!r}); expected one of "
            f"{', '.join(PROTOCOLS)} and a string source"
        )
    return EventEnvelope(item, event_id, received_at, protocol, source)
