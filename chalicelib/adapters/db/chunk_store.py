"""SqlChunkStore: one chunk's events, rejected rows and its own record, in one transaction.

The chunk's record is the idempotency key of the whole chunk ``(upload id, chunk)``; events stay
keyed by ``(source, event id)`` and rejected rows by ``upload:<id>:<line>``, so even two
processors racing on the same chunk store each row once. The raw rows are the chunk's bytes as
the file had them, stored once per chunk instead of once per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.event_rows import EVENTS, upload_row
from chalicelib.adapters.db.event_store import SqlEventWork
from chalicelib.adapters.db.new_rows import insert_new
from chalicelib.adapters.db.tables import upload_chunks
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.events import RowEvent
from chalicelib.domain.uploads import ChunkRecord


class SqlChunkStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def is_done(self, upload_id: str, chunk: int) -> bool:
        query = select(upload_chunks.c.chunk).where(
            upload_chunks.c.upload_id == upload_id, upload_chunks.c.chunk == chunk
        )
        with database_errors("checking a chunk"), self._engine.connect() as conn:
            return conn.scalar(query) is not None

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlChunkWork]:
        with database_errors("storing a chunk"), self._engine.begin() as conn:
            yield SqlChunkWork(conn)


class SqlChunkWork(SqlEventWork):
    """A chunk's rows and record in one open transaction (``ChunkWork``)."""

    def add_new_rows(self, rows: Sequence[RowEvent], processed_at: datetime) -> list[RowEvent]:
        added = insert_new(self._conn, EVENTS, [upload_row(one, processed_at) for one in rows])
        return [rows[index] for index in added]

    def add_chunk(self, chunk: ChunkRecord) -> None:
        insert_missing(self._conn, upload_chunks, [_chunk_row(chunk)], ("upload_id", "chunk"))


def _chunk_row(chunk: ChunkRecord) -> dict[str, Any]:
    return {
        "upload_id": chunk.upload_id,
        "chunk": chunk.chunk,
        "first_line": chunk.first_line,
        "last_line": chunk.last_line,
        "rows_seen": chunk.rows_seen,
        "rows_stored": chunk.rows_stored,
        "rows_duplicate": chunk.rows_duplicate,
        "rows_rejected": chunk.rows_rejected,
        "raw": chunk.raw,
        "processed_at": chunk.processed_at,
    }
