"""SqlRejectionReader: ``GET /rejections`` over ``rejected_items``, newest first.

The page walks the ``rejected_at`` index backwards from the cursor (keyset, like every list);
a source filter is checked on the rows of that range, since rejected items are few next to
events and an operator reads them by time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Row, and_, or_, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import rejected_items
from chalicelib.domain.events import RejectionPage, RejectionQuery, RejectionView
from chalicelib.domain.paging import encode_keyset


class SqlRejectionReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list_rejections(self, query: RejectionQuery) -> RejectionPage:
        if query.sources == ():
            return RejectionPage([], None)
        table = rejected_items.c
        conditions = [
            table.source.in_(query.sources) if query.sources is not None else None,
            table.rejected_at >= query.since if query.since else None,
            table.rejected_at < query.until if query.until else None,
        ]
        if query.after is not None:
            stamp, row_id = query.after
            conditions.append(
                or_(table.rejected_at < stamp, and_(table.rejected_at == stamp, table.id < row_id))
            )
        statement = (
            select(rejected_items)
            .where(*(one for one in conditions if one is not None))
            .order_by(table.rejected_at.desc(), table.id.desc())
            .limit(query.limit + 1)
        )
        with database_errors("reading rejected items"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        page = rows[: query.limit]
        more = len(rows) > query.limit
        cursor = encode_keyset(page[-1].rejected_at, page[-1].id) if more else None
        return RejectionPage([_view(row) for row in page], cursor)


def _view(row: Row[Any]) -> RejectionView:
    return RejectionView(
        source=row.source,
        event_id=row.event_id,
        upload_id=row.upload_id,
        line=row.line,
        reason=row.reason,
        errors=list(row.errors or []),
        payload=row.payload,
        received_at=row.received_at,
        rejected_at=row.rejected_at,
    )
