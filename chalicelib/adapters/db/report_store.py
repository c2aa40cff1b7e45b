"""SqlReportStore: the reports table. Every change of status is conditional on the status it
leaves, so a redelivered message, or two deliveries at once, cannot take a report twice or
bring a finished one back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, null, or_, select, update

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import reports
from chalicelib.domain.reports import COMPLETE, FAILED, QUEUED, RUNNING, STALE_AFTER, Report

REASON_LENGTH = 1000


class SqlReportStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, report: Report) -> None:
        with database_errors("recording a report request"), self._engine.begin() as conn:
            conn.execute(reports.insert().values(_row(report)))

    def get(self, report_id: str) -> Report | None:
        with database_errors("reading a report"), self._engine.connect() as conn:
            row = conn.execute(select(reports).where(reports.c.id == report_id)).first()
        return None if row is None else _report(row)

    def take(self, report_id: str, now: datetime) -> Report | None:
        """``queued`` (or ``running`` with no sign of life for ``STALE_AFTER``) → ``running``,
        one more attempt; the report as taken, or None when it is not to be worked on."""
        takeable = or_(
            reports.c.status == QUEUED,
            and_(reports.c.status == RUNNING, reports.c.updated_at < now - STALE_AFTER),
        )
        statement = (
            update(reports)
            .where(reports.c.id == report_id, takeable)
            .values(
                status=RUNNING,
                attempts=reports.c.attempts + 1,
                rows_written=0,
                started_at=now,
                updated_at=now,
            )
        )
        with database_errors("taking a report"), self._engine.begin() as conn:
            if conn.execute(statement).rowcount != 1:
                return None
            row = conn.execute(select(reports).where(reports.c.id == report_id)).one()
        return _report(row)

    def expect(self, report_id: str, rows: int, now: datetime) -> None:
        self._running(report_id, "recording a report's size", rows_expected=rows, updated_at=now)

    def progress(self, report_id: str, rows_written: int, now: datetime) -> None:
        self._running(
            report_id, "recording a report's progress", rows_written=rows_written, updated_at=now
        )

    def complete(
        self, report_id: str, *, object_key: str, rows: int, size_bytes: int, now: datetime
    ) -> None:
        values = {"object_key": object_key, "rows_written": rows, "size_bytes": size_bytes}
        self._running(
            report_id,
            "completing a report",
            status=COMPLETE,
            finished_at=now,
            updated_at=now,
            reason=null(),
            **values,
        )

    def fail(self, report_id: str, reason: str, now: datetime) -> None:
        """A queued or running report failed; a finished one stays as it finished."""
        statement = (
            update(reports)
            .where(reports.c.id == report_id, reports.c.status.in_((QUEUED, RUNNING)))
            .values(status=FAILED, reason=reason[:REASON_LENGTH], finished_at=now, updated_at=now)
        )
        with database_errors("recording a report's failure"), self._engine.begin() as conn:
            conn.execute(statement)

    def release(self, report_id: str, reason: str, now: datetime) -> None:
        """``running`` → ``queued`` after an attempt that may succeed when tried again (the
        database or the bucket was away); why is kept, for ``GET /reports/{id}``."""
        self._running(
            report_id,
            "releasing a report",
            status=QUEUED,
            reason=reason[:REASON_LENGTH],
            updated_at=now,
        )

    def list_reports(
        self,
        *,
        requested_by: str | None,
        after: tuple[datetime, str] | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[Report]:
        """Newest first, ``limit`` of them after the keyset ``after``."""
        conditions = [
            reports.c.requested_by == requested_by if requested_by is not None else None,
            reports.c.created_at >= since if since else None,
            reports.c.created_at < until if until else None,
        ]
        if after is not None:
            stamp, last_id = after
            conditions.append(
                or_(
                    reports.c.created_at < stamp,
                    and_(reports.c.created_at == stamp, reports.c.id < last_id),
                )
            )
        statement = (
            select(reports)
            .where(*(one for one in conditions if one is not None))
            .order_by(reports.c.created_at.desc(), reports.c.id.desc())
            .limit(limit)
        )
        with database_errors("listing reports"), self._engine.connect() as conn:
            return [_report(row) for row in conn.execute(statement)]

    def _running(self, report_id: str, action: str, **values: Any) -> None:
        """Change a running report only: a report another delivery finished stays finished."""
        statement = (
            update(reports)
            .where(reports.c.id == report_id, reports.c.status == RUNNING)
            .values(**values)
        )
        with database_errors(action), self._engine.begin() as conn:
            conn.execute(statement)


def _row(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "kind": report.kind,
        "format": report.format,
        "params": dict(report.params),
        "sources": null() if report.sources is None else list(report.sources),
        "status": report.status,
        "requested_by": report.requested_by,
        "rows_written": report.rows_written,
        "rows_expected": report.rows_expected,
        "object_key": report.object_key,
        "size_bytes": report.size_bytes,
        "reason": report.reason,
        "attempts": report.attempts,
        "created_at": report.created_at,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "updated_at": report.updated_at,
    }


def _report(row: Row[Any]) -> Report:
    return Report(
        id=row.id,
        kind=row.kind,
        format=row.format,
        params=row.params,
        sources=None if row.sources is None else tuple(row.sources),
        status=row.status,
        requested_by=row.requested_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        rows_written=row.rows_written,
        rows_expected=row.rows_expected,
        object_key=row.object_key,
        size_bytes=row.size_bytes,
        reason=row.reason,
        attempts=row.attempts,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
