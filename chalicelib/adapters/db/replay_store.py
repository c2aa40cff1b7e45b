"""SqlReplayStore: the replays table, the stored events a replay reads, and the transaction a
chunk is written in.

Every change of status is conditional on the status it leaves (a cancelled or finished job
stays so). A chunk's transaction first touches its job's row only while it is ``running`` (on
MySQL that holds the row, so a cancel waits for the chunk, or the chunk finds it cancelled),
then claims the chunk's number (a redelivered chunk finds it taken and writes nothing), then
writes the matches and adds to the job's counts: all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, func, null, or_, select, update

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.rule_state import SqlRuleWork
from chalicelib.adapters.db.tables import events, replay_chunks, replays
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.alerts import AlertChange, Happening
from chalicelib.domain.events import Event
from chalicelib.domain.replays import (
    CANCELLED,
    COMPLETE,
    FAILED,
    QUEUED,
    RUNNING,
    Keyset,
    ReplayedRule,
    ReplayJob,
    SkippedRule,
)

REASON_LENGTH = 1000


class SqlReplayStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, job: ReplayJob) -> None:
        with database_errors("recording a replay"), self._engine.begin() as conn:
            conn.execute(replays.insert().values(_row(job)))

    def get(self, replay_id: str) -> ReplayJob | None:
        with database_errors("reading a replay"), self._engine.connect() as conn:
            row = conn.execute(select(replays).where(replays.c.id == replay_id)).first()
        return None if row is None else _job(row)

    def start(self, replay_id: str, events_total: int, now: datetime) -> bool:
        """``queued`` → ``running`` with its total; False when it was not queued."""
        return self._change(
            replay_id,
            (QUEUED,),
            "starting a replay",
            status=RUNNING,
            events_total=events_total,
            started_at=now,
            updated_at=now,
        )

    def complete(self, replay_id: str, now: datetime) -> bool:
        return self._change(
            replay_id,
            (RUNNING,),
            "completing a replay",
            status=COMPLETE,
            finished_at=now,
            updated_at=now,
        )

    def fail(self, replay_id: str, reason: str, now: datetime) -> bool:
        return self._change(
            replay_id,
            (QUEUED, RUNNING),
            "recording a replay's failure",
            status=FAILED,
            reason=reason[:REASON_LENGTH],
            finished_at=now,
            updated_at=now,
        )

    def cancel(self, replay_id: str, by: str, now: datetime) -> bool:
        return self._change(
            replay_id,
            (QUEUED, RUNNING),
            "cancelling a replay",
            status=CANCELLED,
            reason=f"cancelled by {by}"[:REASON_LENGTH],
            finished_at=now,
            updated_at=now,
        )

    def list_replays(self, after: tuple[datetime, str] | None, limit: int) -> list[ReplayJob]:
        """Newest first, ``limit`` of them after the keyset ``after``."""
        statement = select(replays)
        if after is not None:
            stamp, last_id = after
            statement = statement.where(
                or_(
                    replays.c.created_at < stamp,
                    and_(replays.c.created_at == stamp, replays.c.id < last_id),
                )
            )
        statement = statement.order_by(replays.c.created_at.desc(), replays.c.id.desc()).limit(
            limit
        )
        with database_errors("listing replays"), self._engine.connect() as conn:
            return [_job(row) for row in conn.execute(statement)]

    def count_events(self, job: ReplayJob, sources: Sequence[str] | None) -> int:
        statement = select(func.count()).select_from(events).where(*_range(job, sources))
        with database_errors("counting a replay's events"), self._engine.connect() as conn:
            return int(conn.scalar(statement) or 0)

    def events_after(
        self, job: ReplayJob, sources: Sequence[str] | None, after: Keyset | None, limit: int
    ) -> tuple[list[Event], Keyset | None, bool]:
        """One keyset page by ``(occurred_at, id)``, the key of its last event, and whether
        more follow (one row more is read to know, so the last page is never an empty one)."""
        conditions = list(_range(job, sources))
        if after is not None:
            stamp, last_id = after
            conditions.append(
                or_(
                    events.c.occurred_at > stamp,
                    and_(events.c.occurred_at == stamp, events.c.id > last_id),
                )
            )
        statement = (
            select(events)
            .where(*conditions)
            .order_by(events.c.occurred_at, events.c.id)
            .limit(limit + 1)
        )
        with database_errors("reading events to replay"), self._engine.connect() as conn:
            found = conn.execute(statement).all()
        rows = found[:limit]
        page = [
            Event(row.source, row.type, row.event_id, row.occurred_at, row.received_at, row.data)
            for row in rows
        ]
        last = (rows[-1].occurred_at, int(rows[-1].id)) if rows else None
        return page, last, len(found) > limit

    @contextmanager
    def unit_of_work(self, suppress: str | None = None) -> Iterator[SqlReplayWork]:
        """One chunk's transaction; ``suppress`` (why) writes its notices ``suppressed``."""
        with database_errors("writing a replay's chunk"), self._engine.begin() as conn:
            yield SqlReplayWork(conn, suppress)

    def _change(self, replay_id: str, leaving: tuple[str, ...], action: str, **values: Any) -> bool:
        statement = (
            update(replays)
            .where(replays.c.id == replay_id, replays.c.status.in_(leaving))
            .values(**values)
        )
        with database_errors(action), self._engine.begin() as conn:
            return bool(conn.execute(statement).rowcount == 1)


class SqlReplayWork(SqlRuleWork):
    """A chunk's side of one open transaction (``ReplayWork``): the rules' state and alerts,
    the job's row and its chunks."""

    def __init__(self, conn: Any, suppress: str | None) -> None:
        super().__init__(conn, "pending" if suppress is None else "suppressed")
        self._suppress = suppress

    def still_running(self, replay_id: str, now: datetime) -> bool:
        touched = self._conn.execute(
            update(replays)
            .where(replays.c.id == replay_id, replays.c.status == RUNNING)
            .values(updated_at=now)
        )
        return bool(touched.rowcount == 1)

    def claim_chunk(self, replay_id: str, chunk: int, events_read: int, now: datetime) -> bool:
        """Record the chunk as done; False when an earlier delivery did (nothing to write).
        Called after :meth:`still_running`, whose update holds the job's row (on SQLite, the
        database's one write lock): two deliveries of a chunk cannot both find it unclaimed."""
        key = (replay_chunks.c.replay_id == replay_id, replay_chunks.c.chunk == chunk)
        if self._conn.execute(select(replay_chunks.c.chunk).where(*key)).first() is not None:
            return False
        row = {
            "replay_id": replay_id,
            "chunk": chunk,
            "events": events_read,
            "matches": 0,
            "done_at": now,
        }
        insert_missing(self._conn, replay_chunks, [row], ("replay_id", "chunk"))
        return True

    def add_progress(
        self, replay_id: str, chunk: int, *, events_read: int, matches: int, notices: int
    ) -> None:
        self._conn.execute(
            update(replay_chunks)
            .where(replay_chunks.c.replay_id == replay_id, replay_chunks.c.chunk == chunk)
            .values(matches=matches)
        )
        self._conn.execute(
            update(replays)
            .where(replays.c.id == replay_id)
            .values(
                events_done=replays.c.events_done + events_read,
                matches_written=replays.c.matches_written + matches,
                notices=replays.c.notices + notices,
                chunks_done=replays.c.chunks_done + 1,
            )
        )

    def write_change(self, change: AlertChange, now: datetime) -> None:
        super().write_change(self._told(change), now)

    def write_changes(self, changes: Sequence[AlertChange], now: datetime) -> None:
        super().write_changes([self._told(one) for one in changes], now)

    def _told(self, change: AlertChange) -> AlertChange:
        """The timeline says why each notice was not sent."""
        if self._suppress is None or not change.notices:
            return change
        lines = tuple(
            Happening("suppressed", f"{notice.kind} notice not sent: {self._suppress}")
            for notice in change.notices
        )
        return replace(change, timeline=(*change.timeline, *lines))


def _range(job: ReplayJob, sources: Sequence[str] | None) -> Iterator[Any]:
    yield events.c.occurred_at >= job.since
    yield events.c.occurred_at < job.until
    if sources is not None:
        yield events.c.source.in_(list(sources))


def _row(job: ReplayJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "rules": [{"id": one.id, "version": one.version} for one in job.rules],
        "skipped": [{"id": one.id, "reason": one.reason} for one in job.skipped],
        "since": job.since,
        "until": job.until,
        "sources": null() if job.sources is None else list(job.sources),
        "notify": job.notify,
        "status": job.status,
        "reason": job.reason,
        "requested_by": job.requested_by,
        "events_total": job.events_total,
        "events_done": job.events_done,
        "matches_written": job.matches_written,
        "notices": job.notices,
        "chunks_done": job.chunks_done,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "updated_at": job.updated_at,
    }


def _job(row: Row[Any]) -> ReplayJob:
    return ReplayJob(
        id=row.id,
        rules=tuple(ReplayedRule(one["id"], one["version"]) for one in row.rules),
        skipped=tuple(SkippedRule(one["id"], one["reason"]) for one in row.skipped),
        since=row.since,
        until=row.until,
        sources=None if row.sources is None else tuple(row.sources),
        notify=bool(row.notify),
        status=row.status,
        requested_by=row.requested_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        events_total=row.events_total,
        events_done=row.events_done,
        matches_written=row.matches_written,
        notices=row.notices,
        chunks_done=row.chunks_done,
        reason=row.reason,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
