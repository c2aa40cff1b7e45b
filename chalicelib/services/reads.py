"""Reading stored events back: the list with filters and cursor, and one event by its key."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Detail, NotFound
from chalicelib.domain.events import EventPage, EventView, parse_event_query
from chalicelib.ports import EventReader


def list_events(
    params: Mapping[str, str], *, reader: EventReader, default_limit: int, max_limit: int
) -> EventPage:
    query = parse_event_query(params, default_limit=default_limit, max_limit=max_limit)
    return reader.list_events(query)


def get_event(source: str, event_id: str, *, reader: EventReader, caller: Principal) -> EventView:
    """One event; one of a source the caller may not read is not there for it."""
    wanted = source.strip().lower()
    found = reader.get_event(wanted, event_id.strip()) if caller.may_read(wanted) else None
    if found is None:
        raise NotFound(
            f"no event {event_id!r} from source {source!r}",
            [Detail("not found", field="id", value=event_id)],
        )
    return found
