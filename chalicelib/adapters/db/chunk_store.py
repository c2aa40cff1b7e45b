"""SqlChunkStore: one chunk's events, rejected rows and its own record, in one transaction.

The chunk's record is the idempotency key of the whole chunk ``(upload id, chunk)``; events stay
keyed by ``(source, event id)`` and rejected rows by ``upload:<id>:<line>``, so even two
processors racing on the same chunk store each row once. The raw rows are the chunk's bytes as
the file had them, stored once per chunk instead of once per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from chalicelib.adapters.db.bulk_events import insert_row_events
from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.event_store import existing_event_keys, rejection_row, unrecorded
from chalicelib.adapters.db.rule_state import Recorded, record_verdicts
from chalicelib.adapters.db.tables import rejected_items, upload_chunks
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.rule_verdicts import Verdicts
from chalicelib.domain.upload_records import ChunkRecord
from chalicelib.ports import RejectedItem, RowEvent, StoreOutcome


class SqlChunkStore:
    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self._engine = engine
        self._now = now

    def is_done(self, upload_id: str, chunk: int) -> bool:
        query = select(upload_chunks.c.chunk).where(upload_chunks.c.upload_id == upload_id,
                                                   upload_chunks.c.chunk == chunk)
        with database_errors("checking a chunk"), self._engine.connect() as conn:
            return conn.scalar(query) is not None

    def store_chunk(self, chunk: ChunkRecord, rows: Sequence[RowEvent],
                    rejected: Sequence[RejectedItem],
                    verdicts: Verdicts | None = None) -> StoreOutcome:
        unique = list({one.event.key: one for one in reversed(rows)}.values())[::-1]
        with database_errors("storing a chunk"), self._engine.begin() as conn:
            known = existing_event_keys(conn, [one.event.key for one in unique])
            fresh = [one for one in unique if one.event.key not in known]
            insert_row_events(conn, fresh, chunk.processed_at)
            recorded = record_verdicts(conn, verdicts.only_for({one.event.key for one in fresh}),
                                       chunk.processed_at) if verdicts else Recorded()
            new_rejections = unrecorded(conn, rejected)
            insert_missing(conn, rejected_items,
                           [rejection_row(one, chunk.processed_at) for one in new_rejections],
                           ("item_key",))
            outcome = StoreOutcome(stored=len(fresh), duplicates=len(rows) - len(fresh),
                                   rejected=len(new_rejections), matched=recorded.matches,
                                   notices=recorded.notices)
            insert_missing(conn, upload_chunks, [_chunk_row(chunk, outcome, len(rejected))],
                           ("upload_id", "chunk"))
        return outcome


def _chunk_row(chunk: ChunkRecord, outcome: StoreOutcome, rejected: int) -> dict[str, Any]:
    """Counts as this chunk saw them: a row already stored by another upload is a duplicate."""
    return {
        "upload_id": chunk.upload_id,
        "chunk": chunk.chunk,
        "first_line": chunk.first_line,
        "last_line": chunk.last_line,
        "rows_seen": chunk.rows_seen,
        "rows_stored": outcome.stored,
        "rows_duplicate": outcome.duplicates,
        "rows_rejected": rejected,
        "raw": chunk.raw,
        "processed_at": chunk.processed_at,
    }
