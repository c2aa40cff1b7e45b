"""Read-side inputs and outputs: the event filters, the opaque page cursor, the views returned.

Pagination is keyset, not offset: newest first by ``(occurred_at, row id)``, so a page stays
correct while events keep arriving and costs one index range scan however deep the reader goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.events.model import SOURCE, TYPE, NamedField
from chalicelib.domain.paging import decode_keyset, encode_keyset, invalid_parameter, page_window

QUERY_PARAMETERS = ("source", "type", "since", "until", "limit", "cursor")
C = TypeVar("C")


@dataclass(frozen=True)
class Cursor:
    """The last row of the previous page."""

    occurred_at: datetime
    row_id: int

    def encode(self) -> str:
        return encode_keyset(self.occurred_at, self.row_id)

    @classmethod
    def decode(cls, text: str) -> Cursor:
        occurred_at, row_id = decode_keyset(text)
        if type(row_id) is not int:
            raise invalid_parameter("cursor", "is not a cursor this API returned", text)
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
    raw: Mapping[str, Any] | None = None  # the item as posted; CSV rows keep theirs in the chunk
    origin: Mapping[str, Any] | None = None  # CSV rows: the upload and line they came from

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
        if self.origin is not None:
            shown["origin"] = dict(self.origin)
        return shown if self.raw is None else shown | {"raw": dict(self.raw)}


@dataclass(frozen=True)
class EventPage:
    items: list[EventView]
    next_cursor: str | None


def parse_event_query(
    params: Mapping[str, str], *, default_limit: int, max_limit: int
) -> EventQuery:
    """Query-string parameters to a query; every bad parameter is reported at once."""
    problems: list[Detail] = []
    since, until, limit, after = page_window(
        params,
        QUERY_PARAMETERS,
        Cursor.decode,
        problems,
        default_limit=default_limit,
        max_limit=max_limit,
    )
    source = _matching(params, SOURCE, problems)
    event_type = _matching(params, TYPE, problems)
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    return EventQuery(source, event_type, since, until, limit, after)


def _matching(params: Mapping[str, str], field: NamedField, problems: list[Detail]) -> str | None:
    value = params.get(field.name)
    return None if value is None else field.normalize(value, problems)
