"""Replays: stored events run through the current (match) rules as a job in chunks, the request
that asks for one (:mod:`.request`) and the job's lifecycle and queue orders (:mod:`.model`).

Imports the kernel and ``rules``.
"""

from __future__ import annotations

from chalicelib.domain.replays.model import (
    CANCELLED,
    COMPLETE,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    STATUSES,
    ChunkOrder,
    Keyset,
    ReplayedRule,
    ReplayJob,
    SkippedRule,
    parse_chunk_order,
    replay_view,
)
from chalicelib.domain.replays.request import (
    NOT_REPLAYED,
    ReplayRequest,
    new_replay,
    parse_replay_request,
)

__all__ = [
    "CANCELLED",
    "COMPLETE",
    "FAILED",
    "FINISHED",
    "NOT_REPLAYED",
    "QUEUED",
    "RUNNING",
    "STATUSES",
    "ChunkOrder",
    "Keyset",
    "ReplayJob",
    "ReplayRequest",
    "ReplayedRule",
    "SkippedRule",
    "new_replay",
    "parse_chunk_order",
    "parse_replay_request",
    "replay_view",
]
