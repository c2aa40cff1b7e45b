"""Other tools' event shapes, read as Tripline event items: CloudEvents 1.0 and Segment's tracking
calls. (PagerDuty's Events API opens alerts, not events: ``domain.pagerduty``.)

An item arrives as its protocol sent it, and that is what is queued and stored as the event's raw
form, so ``GET /events/{source}/{id}`` shows an integrator exactly what their client sent. The
translation to Tripline's item (``source``, ``type``, ``id``, ``occurred_at``, ``data``) is pure and
deterministic, so the API (to answer at once) and the processor (to store) make it alike, and a
replay from raw makes it again. The source an item goes to is decided at the edge, from the key
and the item (``IncomingItem.source``), and travels with it.

- :mod:`.cloudevents`: a CloudEvent as a Tripline item, the attributes kept under
  ``data.cloudevents``; :mod:`.cloudevent_checks` judges it, :mod:`.cloudevents_http` reads
  structured, batch and binary mode, :mod:`.cloudevent_sources` maps its ``source`` URI;
- :mod:`.segment`: ``track``, ``identify``, ``page``, ``screen``, ``group`` and ``alias`` calls.

Imports the kernel and ``sources`` (source names, located YAML).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.protocols.cloudevent_sources import (
    SourceRoutes,
    decide_source,
    parse_source_routes,
)
from chalicelib.domain.protocols.cloudevents import CLOUDEVENTS, cloudevent_field, cloudevent_item
from chalicelib.domain.protocols.cloudevents_http import (
    CloudEventsMessage,
    carries_json,
    ce_attributes,
    cloudevents_in,
    http_mode,
)
from chalicelib.domain.protocols.segment import ID_FIELD as SEGMENT_ID_FIELD
from chalicelib.domain.protocols.segment import SEGMENT, segment_field, segment_item
from chalicelib.domain.protocols.segment_requests import segment_calls

TRIPLINE = "tripline"  # an item in Tripline's own shape: it names its source itself

Translate = Callable[[Mapping[str, Any], str], "dict[str, Any] | list[Detail]"]
TRANSLATORS: Mapping[str, Translate] = {CLOUDEVENTS: cloudevent_item, SEGMENT: segment_item}
PROTOCOLS = (TRIPLINE, *TRANSLATORS)
# the protocol's field a problem found in the Tripline item came from (``in_protocol_terms``)
Rename = Callable[[Mapping[str, Any], "str | None"], "str | None"]
FIELD_NAMES: Mapping[str, Rename] = {CLOUDEVENTS: cloudevent_field, SEGMENT: segment_field}
# the protocol's own id field, so a refused item keeps its id (a client's retry is kept once)
ID_FIELDS: Mapping[str, str] = {SEGMENT: SEGMENT_ID_FIELD}


@dataclass(frozen=True)
class Refused:
    """What makes an item no event of its protocol, each problem named by the protocol's field."""

    problems: tuple[Detail, ...]
    event_id: str | None = None  # the item's own id, when it gave one


@dataclass(frozen=True)
class IncomingItem:
    """One item as its protocol sent it (``raw``), and the Tripline source the edge decided it
    goes to (None for Tripline's own items, which name theirs)."""

    raw: object
    protocol: str = TRIPLINE
    source: str | None = None


def tripline_item(incoming: IncomingItem) -> object:
    """The item in Tripline's shape, for :func:`~chalicelib.domain.events.validate_event`, or
    :class:`Refused`. Tripline's own items are returned as they are: validation judges them."""
    if incoming.protocol == TRIPLINE:
        return incoming.raw
    translate = TRANSLATORS.get(incoming.protocol)
    if translate is None:
        unknown = f"unknown protocol {incoming.protocol!r}: one of {', '.join(PROTOCOLS)}"
        return Refused((Detail(unknown),))
    if not isinstance(incoming.raw, dict):
        return Refused((Detail(f"a {incoming.protocol} item must be a JSON object"),))
    if incoming.source is None:
        return Refused((Detail("no Tripline source was decided for the item", field="source"),))
    translated = translate(incoming.raw, incoming.source)
    if not isinstance(translated, list):
        return translated
    given = incoming.raw.get(ID_FIELDS.get(incoming.protocol, "id"))
    return Refused(tuple(translated), given if isinstance(given, str) and given else None)


def in_protocol_terms(incoming: IncomingItem, problems: Sequence[Detail]) -> tuple[Detail, ...]:
    """What validating the Tripline item found, named by the fields of the item the protocol
    sent (Segment's ``properties.amount`` for the item's ``data.amount``)."""
    rename = FIELD_NAMES.get(incoming.protocol)
    if rename is None or not isinstance(incoming.raw, dict):
        return tuple(problems)
    raw = incoming.raw
    return tuple(replace(problem, field=rename(raw, problem.field)) for problem in problems)


__all__ = [
    "CLOUDEVENTS",
    "PROTOCOLS",
    "SEGMENT",
    "TRIPLINE",
    "CloudEventsMessage",
    "IncomingItem",
    "Refused",
    "SourceRoutes",
    "carries_json",
    "ce_attributes",
    "cloudevents_in",
    "decide_source",
    "http_mode",
    "in_protocol_terms",
    "parse_source_routes",
    "segment_calls",
    "tripline_item",
]
