"""CloudEvents 1.0, in their JSON format, as Tripline items: every attribute checked, then mapped.

The event is judged as CloudEvents 1.0 defines it (:mod:`.cloudevent_checks`), every problem
named by its attribute, so an integrator reads ``source: is required`` in their own terms. A valid event becomes the Tripline item of the source the edge decided for it
(:mod:`.cloudevent_sources`):

- ``id`` → the event id, ``type`` → its type, ``time`` → ``occurred_at`` (RFC 3339, in UTC);
- ``data`` → ``data``: a JSON object as it is, any other JSON value (text, a number, a list,
  ``null``) as ``{"value": ...}``, ``data_base64`` as ``{"data_base64": "..."}``; no data: ``{}``;
- every other attribute (``specversion``, ``source``, ``subject``, ``datacontenttype``,
  ``dataschema`` and every extension) under ``data["cloudevents"]``, so rules can match them
  (``data.cloudevents.subject``). A data object that has a ``cloudevents`` key of its own is
  refused rather than one of the two being lost.

JSON ``null`` is an unset attribute, as the JSON format says. The event is queued and stored as
it was sent (its JSON format): the processor maps it again, alike, from that raw form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.protocols.cloudevent_checks import (
    DATA_MEMBERS,
    RESERVED_DATA_KEY,
    SHOWN_PROBLEMS,
    cloudevent_problems,
    rfc3339_time,
)

CLOUDEVENTS = "cloudevents"


def cloudevent_item(event: Mapping[str, Any], source: str) -> dict[str, Any] | list[Detail]:
    """The CloudEvent (in its JSON format, as structured mode sends it) as a Tripline item of
    ``source``, or every problem with it, named by its attribute.

    ``source`` is the Tripline source the edge decided; empty when none could be (the CloudEvent's
    ``source`` is then refused, saying how to map it)."""
    problems = cloudevent_problems(event)
    uri = event.get("source")
    if not source and isinstance(uri, str) and not any(one.field == "source" for one in problems):
        problems.append(unmapped_source(uri))
    if problems:
        return problems[:SHOWN_PROBLEMS]
    attributes = {
        name: value
        for name, value in event.items()
        if name not in DATA_MEMBERS and value is not None
    }
    item: dict[str, Any] = {
        "source": source,
        "type": attributes.pop("type"),
        "id": attributes.pop("id"),
    }
    time = attributes.pop("time", None)
    if time is not None:
        moment = rfc3339_time(time)
        assert isinstance(moment, datetime)  # checked above
        item["occurred_at"] = moment.isoformat()
    item["data"] = _data(event) | {RESERVED_DATA_KEY: attributes}
    return item


def unmapped_source(uri: str) -> Detail:
    return Detail(
        "maps to no Tripline source: add a prefix of it to rules/cloudevents.yaml, send a "
        "Tripline source name (lower case letters, digits, '_' and '-') as the source, or send "
        "with an ingest key for exactly one source",
        field="source",
        value=uri,
    )


def _data(event: Mapping[str, Any]) -> dict[str, Any]:
    if "data_base64" in event:
        return {"data_base64": event["data_base64"]}
    if "data" not in event:
        return {}
    data = event["data"]
    return dict(data) if isinstance(data, dict) else {"value": data}


def cloudevent_field(event: Mapping[str, Any], field: str | None) -> str | None:
    """The CloudEvent's own name for a field of its Tripline item a problem was found in:
    ``occurred_at`` is ``time``, ``data.cloudevents.subject`` is ``subject``, the wrapped
    ``data.value`` and ``data.data_base64`` are ``data`` and ``data_base64``."""
    if field is None:
        return None
    if field == "occurred_at":
        return "time"
    head, _, rest = field.partition(".")
    if head != "data" or not rest:
        return field
    inner, _, deeper = rest.partition(".")
    if inner == RESERVED_DATA_KEY and deeper:
        return deeper
    if "data_base64" in event and inner == "data_base64":
        return "data_base64"
    if not isinstance(event.get("data"), dict) and inner.startswith("value"):
        return "data" + rest[len("value") :]
    return field
