"""SqlRetention: rows past a retention cutoff, counted or deleted in short batches.

A batch finds the keys of at most ``limit`` rows through the table's time index (oldest first),
then deletes those keys, in a transaction of its own: no statement scans for what it deletes, so
locks are taken on the rows that go and held for one batch only, and the processor's inserts of
new rows never wait long. A batch that stopped half way is simply found again by the next one;
deleting keys already gone deletes nothing, so a purge is resumable and idempotent.

Raw items go in the same transaction as their events (by ``(source, event_id)``, the raw table's
unique key), so neither outlives the other. A CSV row's raw form is its chunk's bytes: those of a
finished upload created before the cutoff are emptied, while the chunk's row stays (an upload's
counts are summed from its chunks, and ``GET /uploads/{id}`` keeps showing them). Window state has
no time-ordered key of its own beyond ``bucket_start``: it goes by rule and start, as the
schedule's pruning deletes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    Delete,
    Engine,
    Table,
    and_,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import (
    events,
    raw_events,
    rejected_items,
    rule_matches,
    rule_window_buckets,
    rule_window_tokens,
    upload_chunks,
    uploads,
)
from chalicelib.domain.retention import RuleCutoff, SourceCutoff

FINISHED = ("complete", "complete_with_errors", "failed")  # an upload no chunk will change

KEYS_PER_STATEMENT = 500  # SQLite binds at most 999 variables a statement in older builds
SOURCE_TABLES = {  # each table the source cutoffs reach, by the time column it is aged by
    "events": (events, "occurred_at"),
    "rejected_items": (rejected_items, "rejected_at"),
    "rule_matches": (rule_matches, "occurred_at"),
}


class SqlRetention:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def count_past(self, cutoff: SourceCutoff) -> dict[str, int]:
        """Rows past ``cutoff`` in each table, raw items included (those of such events)."""
        with database_errors("counting rows past retention"), self._engine.connect() as conn:
            found = {
                name: _count(conn, table, _past(table, column, cutoff))
                for name, (table, column) in SOURCE_TABLES.items()
            }
            raw = select(func.count()).select_from(
                raw_events.join(
                    events,
                    and_(
                        raw_events.c.source == events.c.source,
                        raw_events.c.event_id == events.c.event_id,
                    ),
                )
            )
            found["raw_events"] = int(
                conn.execute(raw.where(_past(events, "occurred_at", cutoff))).scalar_one()
            )
            chunks = select(func.count()).select_from(_chunks_of_finished).where(_raw_kept(cutoff))
            found["upload_chunks"] = int(conn.execute(chunks).scalar_one())
        return found

    def count_windows_past(self, cutoff: RuleCutoff) -> dict[str, int]:
        with database_errors("counting window state past retention"), self._engine.connect() as c:
            return {
                table.name: _count(c, table, _window_past(table, cutoff))
                for table in (rule_window_buckets, rule_window_tokens)
            }

    def purge(self, cutoff: SourceCutoff, table: str, limit: int) -> dict[str, int]:
        """Delete at most ``limit`` rows of ``table`` (events: with their raw items) past
        ``cutoff``, in one transaction; how many went from each table."""
        source_table, column = SOURCE_TABLES[table]
        time = source_table.c[column]
        found = (
            select(source_table.c.id, source_table.c.source, source_table.c.event_id)
            .where(_past(source_table, column, cutoff))
            .order_by(time, source_table.c.id)
            .limit(limit)
        )
        with database_errors(f"purging {table}"), self._engine.begin() as conn:
            rows = conn.execute(found).all()
            gone = {table: _delete_ids(conn, source_table, [row.id for row in rows])}
            if table == "events":
                gone["raw_events"] = _delete_raw(conn, [(r.source, r.event_id) for r in rows])
        return gone

    def empty_chunks(self, cutoff: SourceCutoff, limit: int) -> dict[str, int]:
        """Empty the stored bytes of at most ``limit`` chunks of finished uploads created
        before the cutoff, in one transaction; how many."""
        found = (
            select(upload_chunks.c.upload_id, upload_chunks.c.chunk)
            .select_from(_chunks_of_finished)
            .where(_raw_kept(cutoff))
            .order_by(uploads.c.created_at, uploads.c.id, upload_chunks.c.chunk)
            .limit(limit)
        )
        with database_errors("emptying old chunks"), self._engine.begin() as conn:
            by_upload: dict[str, list[int]] = {}
            for upload_id, chunk in conn.execute(found):
                by_upload.setdefault(upload_id, []).append(chunk)
            emptied = sum(
                int(
                    conn.execute(
                        update(upload_chunks)
                        .where(
                            upload_chunks.c.upload_id == upload_id,
                            upload_chunks.c.chunk.in_(chunks),
                        )
                        .values(raw=b"")
                    ).rowcount
                    or 0
                )
                for upload_id, chunks in sorted(by_upload.items())
            )
        return {"upload_chunks": emptied}

    def purge_windows(self, cutoff: RuleCutoff, limit: int) -> dict[str, int]:
        """At most ``limit`` buckets and ``limit`` tokens of the rule starting before the cutoff,
        in one transaction."""
        with database_errors("purging window state"), self._engine.begin() as conn:
            return {
                table.name: _bounded_delete(conn, table, _window_past(table, cutoff), limit)
                for table in (rule_window_buckets, rule_window_tokens)
            }


def _past(table: Table, column: str, cutoff: SourceCutoff) -> ColumnElement[bool]:
    """``table``'s rows of the cutoff's sources older than it."""
    older = table.c[column] < cutoff.before
    if cutoff.source is not None:
        return and_(table.c.source == cutoff.source, older)
    if not cutoff.except_sources:
        return older
    others = or_(table.c.source.is_(None), table.c.source.not_in(cutoff.except_sources))
    return and_(older, others)


_chunks_of_finished = upload_chunks.join(uploads, uploads.c.id == upload_chunks.c.upload_id)


def _raw_kept(cutoff: SourceCutoff) -> ColumnElement[bool]:
    """Chunks still holding bytes, of finished uploads of the cutoff's sources created before
    it (found through ``uploads``' ``(source, created_at, id)`` index)."""
    return and_(
        _past(uploads, "created_at", cutoff),
        uploads.c.status.in_(FINISHED),
        func.length(upload_chunks.c.raw) > 0,
    )


def _window_past(table: Table, cutoff: RuleCutoff) -> ColumnElement[bool]:
    return and_(table.c.rule_id == cutoff.rule_id, table.c.bucket_start < cutoff.before)


def _count(conn: Connection, table: Table, condition: ColumnElement[bool]) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one())


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), KEYS_PER_STATEMENT):
        yield items[start : start + KEYS_PER_STATEMENT]


def _delete_ids(conn: Connection, table: Table, ids: Sequence[int]) -> int:
    return sum(
        int(conn.execute(delete(table).where(table.c.id.in_(part))).rowcount or 0)
        for part in _chunks(sorted(ids))
    )


def _delete_raw(conn: Connection, keys: Sequence[tuple[str, str]]) -> int:
    """The raw items of these events, by their unique key, one source at a time."""
    by_source: dict[str, list[str]] = {}
    for source, event_id in keys:
        by_source.setdefault(source, []).append(event_id)
    gone = 0
    for source, event_ids in sorted(by_source.items()):
        for part in _chunks(sorted(event_ids)):
            statement = delete(raw_events).where(
                raw_events.c.source == source, raw_events.c.event_id.in_(part)
            )
            gone += int(conn.execute(statement).rowcount or 0)
    return gone


def _bounded_delete(
    conn: Connection, table: Table, condition: ColumnElement[bool], limit: int
) -> int:
    """At most ``limit`` rows: MySQL deletes with a ``LIMIT``, SQLite (whose ``DELETE`` takes
    none unless compiled so) by rowid."""
    statement: Delete
    if conn.dialect.name == "sqlite":
        rowid: ColumnClause[Any] = literal_column("rowid")
        older = select(rowid).select_from(table).where(condition).limit(limit)
        statement = delete(table).where(rowid.in_(older))
    else:
        statement = delete(table).where(condition).with_dialect_options(mysql_limit=limit)
    return int(conn.execute(statement).rowcount or 0)
