"""A replay's queue orders and its view: what a chunk message carries, and the progress shown."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.replays import (
    ChunkOrder,
    ReplayedRule,
    ReplayJob,
    parse_chunk_order,
    replay_view,
)

AT = datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=UTC)


def job(**more: object) -> ReplayJob:
    values: dict[str, object] = {
        "id": "r1",
        "rules": (ReplayedRule("big-decline", "abc123"),),
        "skipped": (),
        "since": AT,
        "until": AT,
        "sources": None,
        "notify": False,
        "status": "running",
        "requested_by": "key:ops",
        "created_at": AT,
        "updated_at": AT,
    }
    return ReplayJob(**(values | more))  # type: ignore[arg-type]


def test_a_chunk_order_comes_back_from_its_message_as_it_was_sent() -> None:
    # GIVEN the orders of a first chunk and of one after a keyset
    first, later = ChunkOrder("r1", 0), ChunkOrder("r1", 7, (AT, 42))
    # WHEN each goes through a message body THEN it comes back the same, to the microsecond
    assert parse_chunk_order(first.body()) == first
    assert parse_chunk_order(later.body()) == later


def test_a_message_that_is_no_chunk_order_is_none() -> None:
    for body in ("", "[]", '{"replay_id": "r1"}', '{"replay_id": "r1", "chunk": 1, "after": [1]}'):
        assert parse_chunk_order(body) is None, body


def test_the_view_shows_progress_as_events_done_of_total() -> None:
    # GIVEN a job not yet counted, one under way, and one over an empty range
    unknown = replay_view(job(status="queued"))["progress"]
    running = replay_view(job(events_total=3, events_done=1))["progress"]
    empty = replay_view(job(status="complete", events_total=0))["progress"]
    # THEN the per cent is unknown, a third, and whole
    assert (unknown["events_total"], unknown["percent"]) == (None, None)
    assert running["percent"] == 33.3
    assert empty["percent"] == 100.0
