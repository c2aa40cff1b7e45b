"""SqlStatusObservations: a source's status observations over a range, streamed in time order.

The read follows the ``(source, occurred_at, id)`` index instead of sorting by entity: the
availability report keeps a small running state per entity, so it needs each entity's
observations in time order, not grouped. An event is an observation when its status field is
set (neither missing nor JSON null); the JSON paths are rendered per dialect by SQLAlchemy
(``json_extract`` on SQLite, ``JSON_EXTRACT``/``JSON_UNQUOTE`` on MySQL). At one instant the
event stored last comes last, and the report lets the last one win.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import events
from chalicelib.domain.availability import Observation

BATCH = 1_000


class SqlStatusObservations:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def observations(
        self,
        source: str,
        entity_field: str,
        status_field: str,
        start: datetime,
        end: datetime,
    ) -> Iterator[Observation]:
        """Every observation of ``source`` in ``[start, end)`` (begin ``stale_after`` before the
        report's first window: ``reading_span``), ordered by time; events without the entity
        field are skipped. Rows are fetched in batches, so memory stays flat."""
        data = events.c.data
        statement = (
            select(events.c.occurred_at, data[entity_field], data[status_field])
            .where(
                events.c.source == source,
                events.c.occurred_at >= start,
                events.c.occurred_at < end,
                data[status_field].as_string().is_not(None),
            )
            .order_by(events.c.occurred_at, events.c.id)
        )
        with database_errors("reading status observations"), self._engine.connect() as conn:
            result = conn.execution_options(yield_per=BATCH).execute(statement)
            for occurred_at, entity, status in result:
                if entity is not None and status is not None:
                    yield Observation(str(entity), occurred_at, status)
