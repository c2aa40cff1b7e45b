"""Segment's tracking calls as Tripline items.

A call's ``messageId`` is the event id, so a client's retry (Segment's libraries retry a batch
until they hear a 2xx) is stored once; its ``timestamp`` (else ``originalTimestamp``) is when it
happened. What the call is about becomes the event's ``data``: a ``track``'s ``properties`` under
its ``event`` name as the type, an ``identify``'s or a ``group``'s ``traits``, a ``page``'s or a
``screen``'s ``properties`` with its ``name`` and ``category``, an ``alias``'s ``previousId``.
Everything else the call carries (``userId``, ``anonymousId``, ``context``, ``integrations``...)
is kept under the reserved ``data["segment"]``, so a rule can still read ``segment.userId``.

``writeKey`` is never kept: it is the whole API key, and the raw call is stored and shown.

A problem is named by the call's own field (``properties.amount``, ``event``, ``timestamp``):
:func:`segment_field` renames what :func:`~chalicelib.domain.events.validate_event` and the
source's columns found in the Tripline item back to the field of the call it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.json_values import json_kind

SEGMENT = "segment"
RESERVED = "segment"  # data["segment"]: the rest of the call
SECRET_FIELDS = frozenset({"writeKey"})  # never queued, stored or shown
ID_FIELD = "messageId"

# each call type: the field holding what it is about, and its fields that join it in ``data``
PAYLOADS: Mapping[str, tuple[str | None, tuple[str, ...]]] = {
    "track": ("properties", ()),
    "identify": ("traits", ()),
    "page": ("properties", ("name", "category")),
    "screen": ("properties", ("name", "category")),
    "group": ("traits", ()),
    "alias": (None, ("previousId",)),
}
CALL_TYPES = tuple(PAYLOADS)
_MAPPED = frozenset({ID_FIELD, "timestamp", "properties", "traits", *SECRET_FIELDS})


def segment_item(call: Mapping[str, Any], source: str) -> dict[str, Any] | list[Detail]:
    """One Segment call (``track``, ``identify``, ``page``, ...) as a Tripline item of
    ``source``, or every problem with it, named by the call's own fields."""
    call_type = call.get("type")
    if not isinstance(call_type, str) or call_type not in PAYLOADS:
        return [Detail(f"must be one of {', '.join(CALL_TYPES)}", field="type", value=call_type)]
    payload_field, joined = PAYLOADS[call_type]
    problems: list[Detail] = []
    payload = _payload(call, payload_field, problems)
    event_type = _event_type(call, call_type, problems)
    if problems:
        return problems
    data = {name: call[name] for name in joined if call.get(name) is not None} | payload
    data[RESERVED] = {
        name: value for name, value in call.items() if name not in _MAPPED and value is not None
    }
    item: dict[str, Any] = {"source": source, "type": event_type, "data": data}
    if call.get(ID_FIELD) is not None:
        item["id"] = call[ID_FIELD]
    occurred_at = _occurred_at(call)
    if occurred_at is not None:
        item["occurred_at"] = call[occurred_at]
    return item


def _payload(call: Mapping[str, Any], field: str | None, problems: list[Detail]) -> dict[str, Any]:
    value = call.get(field) if field else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(Detail(f"must be a JSON object, not {json_kind(value)}", field=field))
        return {}
    if RESERVED in value:
        problems.append(
            Detail(
                f"'{RESERVED}' is reserved: Tripline keeps the rest of the call there",
                field=f"{field}.{RESERVED}",
            )
        )
    return dict(value)


def _event_type(call: Mapping[str, Any], call_type: str, problems: list[Detail]) -> str:
    if call_type != "track":
        return call_type
    name = call.get("event")
    if not isinstance(name, str):
        problems.append(
            Detail(f"a track call names its event: a string, not {json_kind(name)}", field="event")
        )
        return ""
    return name


def _occurred_at(call: Mapping[str, Any]) -> str | None:
    """The call's field saying when it happened: ``timestamp``, else ``originalTimestamp``."""
    return next((name for name in ("timestamp", "originalTimestamp") if call.get(name)), None)


def segment_field(call: Mapping[str, Any], field: str | None) -> str | None:
    """The call's field that a problem found at the Tripline item's ``field`` came from."""
    if field is None:
        return None
    if field == "id":
        return ID_FIELD
    if field == "occurred_at":
        return _occurred_at(call) or "timestamp"
    if field == "type":
        return "event" if call.get("type") == "track" else "type"
    if field != "data" and not field.startswith("data.") and not field.startswith("data["):
        return field
    return _data_field(call, field[len("data") :])


def _data_field(call: Mapping[str, Any], rest: str) -> str | None:
    """``.amount`` (after ``data``) as ``properties.amount``, ``.segment.context.ip`` as
    ``context.ip``, a page's ``.name`` as ``name`` when its properties had none."""
    payload_field, joined = PAYLOADS.get(str(call.get("type")), ("properties", ()))
    first = rest[1:].split(".", 1)[0].split("[", 1)[0] if rest.startswith(".") else ""
    if first == RESERVED:
        return rest[len(RESERVED) + 2 :] or None  # the rest of the call as a whole
    payload = call.get(payload_field) if payload_field else None
    in_payload = isinstance(payload, dict) and first in payload
    if payload_field is None or (first in joined and not in_payload):
        return rest[1:] or None
    return f"{payload_field}{rest}"
