"""SqlEventReader: the read side of events, keyset-paginated newest first."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, Row, and_, or_, select, text

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import events, raw_events
from chalicelib.domain.events import Cursor, EventPage, EventQuery, EventView


class SqlEventReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list_events(self, query: EventQuery) -> EventPage:
        statement = select(events).order_by(events.c.occurred_at.desc(), events.c.id.desc())
        conditions = [
            events.c.source == query.source if query.source else None,
            events.c.type == query.type if query.type else None,
            events.c.occurred_at >= query.since if query.since else None,
            events.c.occurred_at < query.until if query.until else None,
        ]
        if query.after is not None:
            conditions.append(
                or_(
                    events.c.occurred_at < query.after.occurred_at,
                    and_(
                        events.c.occurred_at == query.after.occurred_at,
                        events.c.id < query.after.row_id,
                    ),
                )
            )
        statement = statement.where(*(c for c in conditions if c is not None)).limit(
            query.limit + 1
        )
        with database_errors("listing events"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        page, more = rows[: query.limit], len(rows) > query.limit
        cursor = Cursor(page[-1].occurred_at, page[-1].id).encode() if more else None
        return EventPage([_view(row) for row in page], cursor)

    def get_event(self, source: str, event_id: str) -> EventView | None:
        statement = (
            select(events, raw_events.c.payload)
            .outerjoin(
                raw_events,
                and_(
                    raw_events.c.source == events.c.source,
                    raw_events.c.event_id == events.c.event_id,
                ),
            )
            .where(events.c.source == source, events.c.event_id == event_id)
        )
        with database_errors("reading an event"), self._engine.connect() as conn:
            row = conn.execute(statement).first()
        if row is None:
            return None
        return _view(row, raw=json.loads(row.payload) if row.payload is not None else None)

    def has_events(self, source: str) -> bool:
        """Whether any event of ``source`` is stored: one probe of the source index."""
        statement = select(events.c.id).where(events.c.source == source).limit(1)
        with database_errors("looking up a source"), self._engine.connect() as conn:
            return conn.execute(statement).first() is not None

    def ping(self) -> None:
        with database_errors("checking the database"), self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def _view(row: Row[Any], raw: dict[str, Any] | None = None) -> EventView:
    return EventView(
        source=row.source,
        event_id=row.event_id,
        type=row.type,
        occurred_at=row.occurred_at,
        received_at=row.received_at,
        processed_at=row.processed_at,
        data=row.data,
        raw=raw,
        origin={"upload_id": row.upload_id, "line": row.line} if row.upload_id else None,
    )
