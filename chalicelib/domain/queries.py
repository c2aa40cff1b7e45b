"""Read-side inputs and outputs: the event filters, the opaque page cursor, the views returned.

Pagination is keyset, not offset: newest first by ``(occurred_at, row id)``, so a page stays
correct while events keep arriving and costs one index range scan however deep the reader goes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.events import SOURCE, TYPE, NamedField, parse_timestamp

QUERY_PARAMETERS = ("source", "type", "since", "until", "limit", "cursor")


@dataclass(frozen=True)
class Cursor:
    """The last row of the previous page."""

    occurred_at: datetime
    row_id: int

    def encode(self) -> str:
        raw = json.dumps([self.occurred_at.isoformat(), self.row_id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            stamp, row_id = json.loads(raw)
            occurred_at = parse_timestamp(stamp)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise _invalid("cursor", "is not a cursor this API returned", text) from exc
        if isinstance(occurred_at, str) or type(row_id) is not int:
            raise _invalid("cursor", "is not a cursor this API returned", text)
        return cls(occurred_at, row_id)


@dataclass(frozen=True)
class EventQuery:
    source: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after: Cursor | None = None


@dataclass(frozen=True)
class EventView:
    """A stored event as readers see it: the processed fields, and the raw item when asked."""

    source: str
    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    processed_at: datetime
    data: Mapping[str, Any]
    raw: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        shown = {
            "source": self.source,
            "id": self.event_id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "received_at": self.received_at.isoformat(),
            "processed_at": self.processed_at.isoformat(),
            "data": dict(self.data),
        }
        return shown if self.raw is None else shown | {"raw": dict(self.raw)}


@dataclass(frozen=True)
class EventPage:
    items: list[EventView]
    next_cursor: str | None


def parse_event_query(params: Mapping[str, str], *, default_limit: int, max_limit: int) -> EventQuery:
    """Query-string parameters to a query; every bad parameter is reported at once."""
    problems = [
        Detail(f"unknown parameter; expected one of {', '.join(QUERY_PARAMETERS)}", field=name)
        for name in params
        if name not in QUERY_PARAMETERS
    ]
    source = _matching(params, SOURCE, problems)
    event_type = _matching(params, TYPE, problems)
    since, until = _time(params, "since", problems), _time(params, "until", problems)
    limit = _limit(params.get("limit"), default_limit, max_limit, problems)
    after = None
    if params.get("cursor"):
        try:
            after = Cursor.decode(params["cursor"])
        except InvalidQuery as exc:
            problems.extend(exc.details)
    if since and until and since >= until:
        problems.append(Detail("must be before 'until'", field="since"))
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    return EventQuery(source, event_type, since, until, limit, after)


def _matching(params: Mapping[str, str], field: NamedField, problems: list[Detail]) -> str | None:
    value = params.get(field.name)
    return None if value is None else field.normalize(value, problems)


def _time(params: Mapping[str, str], name: str, problems: list[Detail]) -> datetime | None:
    if name not in params:
        return None
    parsed = parse_timestamp(params[name])
    if isinstance(parsed, str):
        problems.append(Detail(parsed, field=name, value=params[name]))
        return None
    return parsed


def _limit(value: str | None, default: int, maximum: int, problems: list[Detail]) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
        problems.append(Detail(f"must be a whole number from 1 to {maximum}", field="limit", value=value))
        return default
    return int(value)


def _invalid(name: str, message: str, value: str) -> InvalidQuery:
    return InvalidQuery("invalid query parameters", [Detail(message, field=name, value=value)])
