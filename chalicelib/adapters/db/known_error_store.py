"""SqlKnownErrorStore: each known error's matches and what their remedies did.

A match is keyed by ``(upload, seq)``, the upload's nth match: the failure that is recorded twice
(two deliveries noticing it) is one row, and only the delivery that wrote it carries the remedy
out. An outcome is one ``UPDATE ... WHERE status = 'scheduled'``, so it is settled once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, case, func, select, update
from sqlalchemy.exc import IntegrityError

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import known_error_remedies as remedies
from chalicelib.domain.known_errors import (
    APPLIED,
    FAILED,
    SCHEDULED,
    SUCCEEDED,
    KnownErrorCount,
    ReadOptions,
    RemedyRecord,
)


class SqlKnownErrorStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def history(self, upload_id: str) -> list[RemedyRecord]:
        query = select(remedies).where(remedies.c.upload_id == upload_id).order_by(remedies.c.seq)
        with database_errors("reading known-error remedies"), self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def add(self, record: RemedyRecord) -> bool:
        """Whether this call stored it (``False``: another delivery stored that match first)."""
        with database_errors("recording a known-error match"), self._engine.begin() as conn:
            try:
                conn.execute(remedies.insert().values(_row(record)))
            except IntegrityError:  # the key: nothing was written, nothing to roll back
                return False
        return True

    def settle(self, upload_id: str, succeeded: bool, at: datetime) -> RemedyRecord | None:
        """The upload's scheduled remedy marked as it ended; ``None`` when none was pending."""
        with database_errors("settling a known-error remedy"), self._engine.begin() as conn:
            row = conn.execute(
                select(remedies)
                .where(remedies.c.upload_id == upload_id, remedies.c.status == SCHEDULED)
                .order_by(remedies.c.seq.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            status = SUCCEEDED if succeeded else FAILED
            changed = conn.execute(
                update(remedies)
                .where(
                    remedies.c.upload_id == upload_id,
                    remedies.c.seq == row.seq,
                    remedies.c.status == SCHEDULED,
                )
                .values(status=status, settled_at=at)
            ).rowcount
        if changed != 1:
            return None
        settled = _record(row)
        return RemedyRecord(**{**settled.__dict__, "status": status, "settled_at": at})

    def counts(self) -> dict[str, KnownErrorCount]:
        status = remedies.c.status
        query = select(
            remedies.c.known_error_id,
            func.count(),
            func.sum(case((status.in_(APPLIED), 1), else_=0)),
            func.sum(case((status == SUCCEEDED, 1), else_=0)),
            func.sum(case((status == FAILED, 1), else_=0)),
            func.max(remedies.c.matched_at),
        ).group_by(remedies.c.known_error_id)
        with database_errors("counting known errors"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            row[0]: KnownErrorCount(
                row[0], int(row[1]), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0), row[5]
            )
            for row in rows
        }


def _row(record: RemedyRecord) -> dict[str, Any]:
    return {
        "upload_id": record.upload_id,
        "seq": record.seq,
        "known_error_id": record.known_error_id,
        "remedy": record.remedy,
        "status": record.status,
        "failure_kind": record.failure_kind,
        "failure_reason": record.failure_reason[:1000],
        "options": record.options.as_dict() if record.options is not None else None,
        "note": record.note[:1000],
        "matched_at": record.matched_at,
        "settled_at": record.settled_at,
    }


def _record(row: Row[Any]) -> RemedyRecord:
    return RemedyRecord(
        row.upload_id,
        row.seq,
        row.known_error_id,
        row.remedy,
        row.status,
        row.failure_kind,
        row.failure_reason,
        ReadOptions.from_dict(row.options) if row.options is not None else None,
        row.note,
        row.matched_at,
        row.settled_at,
    )
