"""SqlDigestStore: one row per ISO week, so a week's digest is built and sent once.

The row is claimed before anything is built: an insert the primary key lets one caller win, or
the take-over of a row that failed or was left building by a function that died. Whoever holds
the claim builds, publishes, and marks it sent; everyone else does nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, null, or_, select, update
from sqlalchemy.exc import IntegrityError

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import digests
from chalicelib.domain.reports import (
    BUILD_STALE_AFTER,
    BUILDING,
    FAILED,
    SENT,
    Digest,
    DigestWeek,
)

REASON_LENGTH = 1000


class SqlDigestStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, week: DigestWeek, now: datetime) -> bool:
        """Whether this caller is to build the week's digest."""
        row = {
            "week": week.label,
            "status": BUILDING,
            "starts_at": week.starts_at,
            "ends_at": week.ends_at,
            "timezone": week.timezone,
            "created_at": now,
        }
        with database_errors("claiming a digest"):
            try:
                with self._engine.begin() as conn:
                    conn.execute(digests.insert().values(row))
                return True
            except IntegrityError:
                pass  # the week has a row: take it over only if it failed or was abandoned
        abandoned = or_(
            digests.c.status == FAILED,
            and_(digests.c.status == BUILDING, digests.c.created_at < now - BUILD_STALE_AFTER),
        )
        statement = (
            update(digests)
            .where(digests.c.week == week.label, abandoned)
            .values(status=BUILDING, created_at=now, reason=null())
        )
        with database_errors("claiming a digest"), self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def sent(
        self,
        week: DigestWeek,
        *,
        object_key: str,
        headline: dict[str, Any],
        message_id: str,
        now: datetime,
    ) -> None:
        self._building(
            week,
            "recording a sent digest",
            status=SENT,
            object_key=object_key,
            headline=headline,
            message_id=message_id,
            sent_at=now,
        )

    def failed(self, week: DigestWeek, reason: str) -> None:
        self._building(
            week, "recording a digest's failure", status=FAILED, reason=reason[:REASON_LENGTH]
        )

    def get(self, label: str) -> Digest | None:
        with database_errors("reading a digest"), self._engine.connect() as conn:
            row = conn.execute(select(digests).where(digests.c.week == label)).first()
        return None if row is None else _digest(row)

    def latest_sent(self) -> Digest | None:
        statement = (
            select(digests)
            .where(digests.c.status == SENT)
            .order_by(digests.c.starts_at.desc())
            .limit(1)
        )
        with database_errors("reading the latest digest"), self._engine.connect() as conn:
            row = conn.execute(statement).first()
        return None if row is None else _digest(row)

    def list_digests(self, limit: int) -> list[Digest]:
        """Newest week first."""
        statement = select(digests).order_by(digests.c.starts_at.desc()).limit(limit)
        with database_errors("listing digests"), self._engine.connect() as conn:
            return [_digest(row) for row in conn.execute(statement)]

    def _building(self, week: DigestWeek, action: str, **values: Any) -> None:
        statement = (
            update(digests)
            .where(digests.c.week == week.label, digests.c.status == BUILDING)
            .values(**values)
        )
        with database_errors(action), self._engine.begin() as conn:
            conn.execute(statement)


def _digest(row: Row[Any]) -> Digest:
    week = DigestWeek(row.week, row.starts_at, row.ends_at, row.timezone)
    return Digest(
        week=week,
        status=row.status,
        created_at=row.created_at,
        object_key=row.object_key,
        headline=row.headline,
        message_id=row.message_id,
        reason=row.reason,
        sent_at=row.sent_at,
    )
