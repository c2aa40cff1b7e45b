"""A replay of stored events through the current rules, and its lifecycle as a job:
``queued`` → ``running`` → ``complete`` | ``cancelled`` | ``failed``.

The row is the job's only state. Its events are read in chunks, each a keyset page by
``(occurred_at, id)`` that the queue message names (:class:`ChunkOrder`): a chunk is claimed once
(its number is keyed), its matches and the job's progress are written in one transaction, and
only then is the next chunk queued, so a redelivered message, or two deliveries at once, count
nothing twice. A cancelled job's next chunk finds it cancelled and stops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.json_values import json_value

QUEUED, RUNNING, COMPLETE, CANCELLED, FAILED = (
    "queued",
    "running",
    "complete",
    "cancelled",
    "failed",
)
STATUSES = (QUEUED, RUNNING, COMPLETE, CANCELLED, FAILED)
FINISHED = (COMPLETE, CANCELLED, FAILED)
Keyset = tuple[datetime, int]  # an event's (occurred_at, id): where a chunk starts after


@dataclass(frozen=True)
class ReplayedRule:
    """A rule the job replays, at the version it was asked with (a rule changed since is a
    reason to stop: its matches would mix two versions)."""

    id: str
    version: str


@dataclass(frozen=True)
class SkippedRule:
    """A rule ``"all"`` left out, and why (only match rules are replayed)."""

    id: str
    reason: str


@dataclass(frozen=True)
class ReplayJob:
    id: str
    rules: tuple[ReplayedRule, ...]
    skipped: tuple[SkippedRule, ...]
    since: datetime
    until: datetime
    sources: tuple[str, ...] | None  # None: every source the rules read
    notify: bool
    status: str
    requested_by: str
    created_at: datetime
    updated_at: datetime
    events_total: int | None = None
    events_done: int = 0
    matches_written: int = 0
    notices: int = 0
    chunks_done: int = 0
    reason: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class ChunkOrder:
    """What one queue message asks: chunk ``chunk`` of job ``replay_id``, the events after
    ``after`` (None: from the range's start)."""

    replay_id: str
    chunk: int
    after: Keyset | None = None

    def body(self) -> str:
        after = None if self.after is None else [self.after[0].isoformat(), self.after[1]]
        return json.dumps({"replay_id": self.replay_id, "chunk": self.chunk, "after": after})


def parse_chunk_order(body: str) -> ChunkOrder | None:
    """The order a message carries; None when it is not one (dropped, and logged)."""
    try:
        found = json.loads(body)
        after = found.get("after")
        return ChunkOrder(
            str(found["replay_id"]),
            int(found["chunk"]),
            None if after is None else (datetime.fromisoformat(after[0]), int(after[1])),
        )
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def replay_view(job: ReplayJob) -> dict[str, Any]:
    """``GET /replays/{id}``: the request, the status with its progress, what was written."""
    total = job.events_total
    percent = None
    if total is not None:
        percent = 100.0 if total == 0 else round(min(100.0, 100.0 * job.events_done / total), 1)
    return {
        "id": job.id,
        "status": job.status,
        "rules": [{"id": one.id, "version": one.version} for one in job.rules],
        "skipped_rules": [{"id": one.id, "reason": one.reason} for one in job.skipped],
        "since": json_value(job.since),
        "until": json_value(job.until),
        "sources": None if job.sources is None else list(job.sources),
        "notify": job.notify,
        "progress": {
            "events_done": job.events_done,
            "events_total": total,
            "percent": percent,
            "chunks_done": job.chunks_done,
        },
        "matches_written": job.matches_written,
        "notices": job.notices,
        "reason": job.reason,
        "requested_by": job.requested_by,
        "created_at": json_value(job.created_at),
        "started_at": json_value(job.started_at),
        "finished_at": json_value(job.finished_at),
        "links": {"self": f"/replays/{job.id}", "cancel": f"/replays/{job.id}/cancel"},
    }
