"""``GET /rejections``: what reached the pipeline and was never stored as an event, with why.

Every rejected item is kept, never dropped: a bad JSON event the processor refused, a call of a
protocol whose answer cannot carry per-item errors (Segment's), a CSV row. This is where an
operator reads them: newest first by the time they were rejected (the table's index), keyset
paginated like every list, filtered by source and time. An ingest key reads its own sources'
only; another source is as empty to it as one that never sent anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.events.model import SOURCE
from chalicelib.domain.paging import decode_keyset, invalid_parameter, page_window

REJECTION_PARAMETERS = ("source", "since", "until", "limit", "cursor")


@dataclass(frozen=True)
class RejectionQuery:
    sources: tuple[str, ...] | None = None  # None: every source; () none at all
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after: tuple[datetime, int] | None = None  # (rejected_at, row id) of the last row shown


@dataclass(frozen=True)
class RejectionView:
    """A rejected item as an operator reads it: where it came from, why, and what it was."""

    source: str | None
    event_id: str | None
    upload_id: str | None
    line: int | None
    reason: str
    errors: Sequence[Mapping[str, Any]]
    payload: str
    received_at: datetime
    rejected_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "event_id": self.event_id,
            "upload_id": self.upload_id,
            "line": self.line,
            "reason": self.reason,
            "errors": [dict(error) for error in self.errors],
            "payload": shown_payload(self.payload),
            "received_at": self.received_at.isoformat(),
            "rejected_at": self.rejected_at.isoformat(),
        }


@dataclass(frozen=True)
class RejectionPage:
    items: list[RejectionView]
    next_cursor: str | None


def shown_payload(stored: str) -> object:
    """The item as it arrived: the JSON value an event or a row's cells were, or the text of a
    message that was not JSON at all."""
    try:
        return json.loads(stored)
    except ValueError:
        return stored


def parse_rejection_query(
    params: Mapping[str, str],
    *,
    readable: tuple[str, ...] | None,
    default_limit: int,
    max_limit: int,
) -> RejectionQuery:
    """Query-string parameters to a query over the sources the caller may read (``readable``,
    None for every one); every bad parameter is reported at once."""
    problems: list[Detail] = []
    since, until, limit, after = page_window(
        params,
        REJECTION_PARAMETERS,
        _cursor,
        problems,
        default_limit=default_limit,
        max_limit=max_limit,
    )
    wanted = None if params.get("source") is None else SOURCE.normalize(params["source"], problems)
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    sources = readable
    if wanted is not None:
        sources = (wanted,) if readable is None or wanted in readable else ()
    return RejectionQuery(sources, since, until, limit, after)


def _cursor(text: str) -> tuple[datetime, int]:
    stamp, row_id = decode_keyset(text)
    if type(row_id) is not int:
        raise invalid_parameter("cursor", "is not a cursor this API returned", text)
    return stamp, row_id
