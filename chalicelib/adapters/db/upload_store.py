"""SqlUploadStore: the uploads table, every change conditional on the state it expects.

Notifications and chunks arrive at least once and in any order, from several functions at a time;
each transition is one ``UPDATE ... WHERE status = <expected>`` so two deliveries can never both
make it, and progress is summed from ``upload_chunks`` rather than counted up, so a replayed chunk
cannot count twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, func, or_, select, update

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import rejected_items, upload_chunks, uploads
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.errors import Detail
from chalicelib.domain.uploads import (
    FINAL_STATUSES,
    RejectedRow,
    UploadCursor,
    UploadPage,
    UploadProgress,
    UploadQuery,
    UploadRecord,
    UploadStatus,
)

REJECTED_PAGE = 5000


class SqlUploadStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, upload: UploadRecord) -> bool:
        with database_errors("recording an upload"), self._engine.begin() as conn:
            if conn.scalar(select(uploads.c.id).where(uploads.c.id == upload.id)) is not None:
                return False
            insert_missing(conn, uploads, [_row(upload)], ("id",))
        return True

    def get(self, upload_id: str) -> UploadRecord | None:
        with database_errors("reading an upload"), self._engine.connect() as conn:
            row = conn.execute(select(uploads).where(uploads.c.id == upload_id)).first()
        return None if row is None else _record(row)

    def claim(
        self,
        upload_id: str,
        *,
        identity: str,
        size: int,
        landed_at: datetime,
        message_id: str,
        at: datetime,
        pin: Mapping[str, str | None] | None = None,
    ) -> bool:
        claimed = (
            update(uploads)
            .where(
                uploads.c.id == upload_id,
                or_(
                    uploads.c.status == UploadStatus.AWAITING_UPLOAD,
                    and_(
                        uploads.c.status == UploadStatus.IMPORTING,
                        uploads.c.claimed_by == message_id,
                        uploads.c.object_version == identity,
                    ),
                ),
            )
            .values(
                status=UploadStatus.IMPORTING,
                object_version=identity,
                object_size=size,
                landed_at=landed_at,
                claimed_by=message_id,
                fanout_started_at=at,
                header=None,
                chunks_total=None,
                object_pin=dict(pin) if pin is not None else None,
            )
        )
        with database_errors("claiming an upload"), self._engine.begin() as conn:
            return conn.execute(claimed).rowcount == 1

    def object_pin(self, upload_id: str) -> dict[str, str | None] | None:
        with database_errors("reading an upload"), self._engine.connect() as conn:
            pin: dict[str, str | None] | None = conn.scalar(
                select(uploads.c.object_pin).where(uploads.c.id == upload_id)
            )
        return pin

    def reopen(self, upload_id: str, reason: str) -> bool:
        """``failed`` → ``awaiting_upload``, its outcome cleared, so that the object's
        notification, sent again, claims it as it did the first time; False when it was not
        failed (another retry won, or it never failed)."""
        statement = (
            update(uploads)
            .where(uploads.c.id == upload_id, uploads.c.status == UploadStatus.FAILED)
            .values(
                status=UploadStatus.AWAITING_UPLOAD,
                status_reason=reason[:1000],
                problems=None,
                claimed_by=None,
                header=None,
                chunks_total=None,
                rows_seen=None,
                rows_stored=None,
                rows_duplicate=None,
                rows_rejected=None,
                fanout_finished_at=None,
                completed_at=None,
            )
        )
        with database_errors("reopening an upload"), self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def record_header(self, upload_id: str, header: Sequence[str]) -> None:
        self._update(upload_id, "recording a header", header=list(header))

    def finish_fanout(
        self, upload_id: str, chunks_total: int, rows_seen: int, at: datetime
    ) -> None:
        self._update(
            upload_id,
            "recording the chunks of an upload",
            chunks_total=chunks_total,
            rows_seen=rows_seen,
            fanout_finished_at=at,
        )

    def fail(self, upload_id: str, reason: str, problems: Sequence[Detail], at: datetime) -> bool:
        statement = (
            update(uploads)
            .where(uploads.c.id == upload_id, uploads.c.status.not_in(list(FINAL_STATUSES)))
            .values(
                status=UploadStatus.FAILED,
                status_reason=reason[:1000],
                problems=[one.as_dict() for one in problems],
                completed_at=at,
            )
        )
        with database_errors("failing an upload"), self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def finish(
        self,
        upload_id: str,
        status: str,
        progress: UploadProgress,
        reason: str | None,
        at: datetime,
    ) -> bool:
        statement = (
            update(uploads)
            .where(uploads.c.id == upload_id, uploads.c.status == UploadStatus.IMPORTING)
            .values(
                status=status,
                status_reason=reason,
                completed_at=at,
                rows_seen=progress.rows_seen,
                rows_stored=progress.rows_stored,
                rows_duplicate=progress.rows_duplicate,
                rows_rejected=progress.rows_rejected,
            )
        )
        with database_errors("finishing an upload"), self._engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def progress(self, upload_id: str) -> UploadProgress:
        with database_errors("reading upload progress"), self._engine.connect() as conn:
            return _progress_of(conn, [upload_id]).get(upload_id, UploadProgress())

    def rejected_rows(self, upload_id: str) -> Iterator[RejectedRow]:
        """Keyset pages by line: no long-held cursor, no unbounded result in memory."""
        after = 0
        while True:
            query = (
                select(rejected_items.c.line, rejected_items.c.payload, rejected_items.c.errors)
                .where(rejected_items.c.upload_id == upload_id, rejected_items.c.line > after)
                .order_by(rejected_items.c.line)
                .limit(REJECTED_PAGE)
            )
            with database_errors("reading rejected rows"), self._engine.connect() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield RejectedRow(
                    row.line, json.loads(row.payload), tuple(_detail(one) for one in row.errors)
                )
            if len(rows) < REJECTED_PAGE:
                return
            after = rows[-1].line

    def list_uploads(self, query: UploadQuery) -> UploadPage:
        statement = select(uploads).order_by(uploads.c.created_at.desc(), uploads.c.id.desc())
        conditions = [
            uploads.c.source == query.source if query.source else None,
            uploads.c.status == query.status if query.status else None,
            uploads.c.created_at >= query.since if query.since else None,
            uploads.c.created_at < query.until if query.until else None,
        ]
        if query.after is not None:
            conditions.append(
                or_(
                    uploads.c.created_at < query.after.created_at,
                    and_(
                        uploads.c.created_at == query.after.created_at,
                        uploads.c.id < query.after.upload_id,
                    ),
                )
            )
        statement = statement.where(*(c for c in conditions if c is not None)).limit(
            query.limit + 1
        )
        with database_errors("listing uploads"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
            page, more = rows[: query.limit], len(rows) > query.limit
            progress = _progress_of(conn, [row.id for row in page])
        cursor = UploadCursor(page[-1].created_at, page[-1].id).encode() if more else None
        items = [(_record(row), progress.get(row.id, UploadProgress())) for row in page]
        return UploadPage(items, cursor)

    def _update(self, upload_id: str, action: str, **values: Any) -> None:
        with database_errors(action), self._engine.begin() as conn:
            conn.execute(update(uploads).where(uploads.c.id == upload_id).values(**values))


def _progress_of(conn: Any, upload_ids: list[str]) -> dict[str, UploadProgress]:
    if not upload_ids:
        return {}
    query = (
        select(
            upload_chunks.c.upload_id,
            func.count(),
            func.sum(upload_chunks.c.rows_seen),
            func.sum(upload_chunks.c.rows_stored),
            func.sum(upload_chunks.c.rows_duplicate),
            func.sum(upload_chunks.c.rows_rejected),
            func.max(upload_chunks.c.processed_at),
        )
        .where(upload_chunks.c.upload_id.in_(upload_ids))
        .group_by(upload_chunks.c.upload_id)
    )
    found = {}
    # max() keeps the column's type (UtcDateTime), so the last time comes back aware UTC.
    for upload_id, done, seen, stored, duplicate, rejected, last in conn.execute(query):
        found[upload_id] = UploadProgress(
            done, int(seen), int(stored), int(duplicate), int(rejected), last
        )
    return found


def _row(upload: UploadRecord) -> dict[str, Any]:
    return {
        "id": upload.id,
        "source": upload.source,
        "filename": upload.filename,
        "object_key": upload.key,
        "origin": upload.origin,
        "status": upload.status,
        "status_reason": upload.status_reason,
        "problems": [one.as_dict() for one in upload.problems] or None,
        "object_version": upload.object_version,
        "object_size": upload.object_size,
        "header": list(upload.header) if upload.header is not None else None,
        "chunks_total": upload.chunks_total,
        "created_at": upload.created_at,
        "landed_at": upload.landed_at,
    }


def _record(row: Row[Any]) -> UploadRecord:
    return UploadRecord(
        id=row.id,
        source=row.source,
        filename=row.filename,
        key=row.object_key,
        origin=row.origin,
        status=row.status,
        created_at=row.created_at,
        status_reason=row.status_reason,
        problems=tuple(_detail(one) for one in row.problems or []),
        object_version=row.object_version,
        object_size=row.object_size,
        header=tuple(row.header) if row.header is not None else None,
        chunks_total=row.chunks_total,
        rows_seen=row.rows_seen,
        landed_at=row.landed_at,
        fanout_started_at=row.fanout_started_at,
        fanout_finished_at=row.fanout_finished_at,
        completed_at=row.completed_at,
    )


def _detail(stored: dict[str, Any]) -> Detail:
    known = ("message", "field", "line", "column", "value", "file")
    return Detail(**{key: stored[key] for key in known if key in stored})
