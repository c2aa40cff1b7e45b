"""SqlSilenceStore: the silences table. A silence is never deleted: ending it early sets
``expired_at``, so an alert's timeline can always name the silence that withheld its notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Row, and_, null, or_, select, update

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import silences
from chalicelib.domain.silences import Matchers, Silence, WeeklyRecurrence


class SqlSilenceStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, silence: Silence) -> None:
        with database_errors("recording a silence"), self._engine.begin() as conn:
            conn.execute(silences.insert().values(_row(silence)))

    def get(self, silence_id: str) -> Silence | None:
        with database_errors("reading a silence"), self._engine.connect() as conn:
            row = conn.execute(select(silences).where(silences.c.id == silence_id)).first()
        return None if row is None else _silence(row)

    def list_silences(self, include_ended: bool, now: datetime) -> list[Silence]:
        """Newest first; without ``include_ended`` only the ones still to come or running."""
        statement = select(silences).order_by(silences.c.created_at.desc(), silences.c.id.desc())
        if not include_ended:
            statement = statement.where(_not_ended(now))
        with database_errors("listing silences"), self._engine.connect() as conn:
            return [_silence(row) for row in conn.execute(statement)]

    def live(self, now: datetime) -> list[Silence]:
        """Every silence between its start and end at ``now``; weekly windows are the caller's
        to check (``Silence.active_at``), in the silence's own time zone."""
        statement = select(silences).where(silences.c.starts_at <= now, _not_ended(now))
        with database_errors("reading the live silences"), self._engine.connect() as conn:
            return [_silence(row) for row in conn.execute(statement.order_by(silences.c.id))]

    def expire(self, silence_id: str, now: datetime) -> Silence | None:
        """End the silence at ``now`` unless it already ended (then nothing changes, so a
        repeated DELETE keeps the first time); the silence as it is afterwards."""
        statement = (
            update(silences)
            .where(silences.c.id == silence_id, _not_ended(now))
            .values(expired_at=now)
        )
        with database_errors("expiring a silence"), self._engine.begin() as conn:
            conn.execute(statement)
            row = conn.execute(select(silences).where(silences.c.id == silence_id)).first()
        return None if row is None else _silence(row)


def _not_ended(now: datetime) -> ColumnElement[bool]:
    return and_(
        silences.c.ends_at > now, or_(silences.c.expired_at.is_(None), silences.c.expired_at > now)
    )


def _row(silence: Silence) -> dict[str, Any]:
    return {
        "id": silence.id,
        "matchers": silence.matchers.as_dict(),
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "timezone": silence.timezone,
        # SQL NULL, not the JSON text null the column would write for None
        "recurrence": silence.recurrence.as_dict() if silence.recurrence else null(),
        "comment": silence.comment,
        "author": silence.author,
        "created_at": silence.created_at,
        "expired_at": silence.expired_at,
    }


def _silence(row: Row[Any]) -> Silence:
    return Silence(
        id=row.id,
        matchers=Matchers.from_dict(row.matchers),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        recurrence=WeeklyRecurrence.from_dict(row.recurrence) if row.recurrence else None,
        comment=row.comment,
        author=row.author,
        created_at=row.created_at,
        expired_at=row.expired_at,
    )
