"""Storing events through one unit of work of SqlEventStore, and SqlEventReader, on SQLite and
MySQL: idempotent writes, keyset reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from chalicelib.adapters.db.event_reader import SqlEventReader
from chalicelib.adapters.db.event_store import SqlEventStore
from chalicelib.adapters.db.tables import events, raw_events, rejected_items
from chalicelib.domain.errors import Detail, StorageError
from chalicelib.domain.events import (
    ArrivedEvent,
    Cursor,
    Event,
    EventQuery,
    RejectedItem,
    StoreOutcome,
    validate_event,
)
from chalicelib.domain.rules import Verdicts
from chalicelib.services.storing import store_events
from tests.builders import FixedClock, event_item

RECEIVED = datetime(2026, 11, 22, 8, 45, tzinfo=UTC)


def arrived(**overrides: object) -> ArrivedEvent:
    item = event_item(**overrides)
    event = validate_event(item, received_at=RECEIVED)
    assert isinstance(event, Event), event
    return ArrivedEvent(event, json.dumps(item), message_id=f"m-{event.event_id}")


def stored(
    store: SqlEventStore,
    arrived: Sequence[ArrivedEvent],
    rejected: Sequence[RejectedItem] = (),
    verdicts: Verdicts | None = None,
    at: datetime | None = None,
) -> StoreOutcome:
    """One batch through the processor's storing flow, in one unit of work."""
    with store.unit_of_work() as work:
        return store_events(work, arrived, rejected, verdicts, at or FixedClock().now())


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))  # type: ignore[arg-type]


def test_same_event_delivered_three_times_is_stored_once(engine: Engine) -> None:
    # GIVEN a store and one event
    store = SqlEventStore(engine)
    one = arrived(id="order-1")
    # WHEN it is stored three times, once twice within the same batch
    first = stored(store, [one, one], [])
    second = stored(store, [one], [])
    # THEN one raw and one processed row exist, and the outcomes say what happened
    assert (first.stored, first.duplicates) == (1, 1)
    assert (second.stored, second.duplicates) == (0, 1)
    assert count(engine, raw_events) == 1
    assert count(engine, events) == 1


def test_raw_row_keeps_the_item_as_sent_and_processed_row_is_normalized(engine: Engine) -> None:
    # GIVEN an item with padded strings and a +02:00 timestamp
    store = SqlEventStore(engine)
    one = arrived(
        id="o-2",
        source=" Shop ",
        occurred_at="2026-11-22T10:00:00.123456+02:00",
        data={"note": "  hi  "},
    )
    # WHEN stored and read back
    stored(store, [one], [])
    view = SqlEventReader(engine).get_event("shop", "o-2")
    # THEN processed fields are trimmed and UTC with microseconds; raw is untouched
    assert view is not None
    assert view.occurred_at == datetime(2026, 11, 22, 8, 0, 0, 123456, tzinfo=UTC)
    assert view.data == {"note": "hi"}
    assert view.raw is not None and view.raw["source"] == " Shop "
    assert view.raw["data"] == {"note": "  hi  "}


def test_event_ids_differing_only_in_case_are_different_events(engine: Engine) -> None:
    # GIVEN two ids a case-insensitive collation would merge
    store = SqlEventStore(engine)
    # WHEN both are stored
    outcome = stored(store, [arrived(id="ABC"), arrived(id="abc")], [])
    # THEN both are kept
    assert outcome.stored == 2
    assert count(engine, events) == 2


def test_rejection_is_recorded_once_per_item_key(engine: Engine) -> None:
    # GIVEN a rejected item delivered twice
    store = SqlEventStore(engine)
    rejected = RejectedItem(
        "sqs:m-1",
        "invalid event",
        (Detail("is required", field="type"),),
        '{"source":"shop"}',
        RECEIVED,
        source="shop",
    )
    # WHEN stored twice
    first, second = stored(store, [], [rejected]), stored(store, [], [rejected])
    # THEN it is recorded once, with its errors as data
    assert (first.rejected, second.rejected) == (1, 0)
    with engine.connect() as conn:
        row = conn.execute(select(rejected_items)).one()
    assert row.errors == [{"message": "is required", "field": "type"}]
    assert row.payload == '{"source":"shop"}'


def test_a_failed_write_leaves_nothing_behind(engine: Engine) -> None:
    # GIVEN a batch whose second event has no type (which validation would never let through)
    store = SqlEventStore(engine)
    good = arrived(id="fine")
    bad_event = arrived(id="typeless").event
    bad = ArrivedEvent(
        Event(
            bad_event.source,
            None,
            bad_event.event_id,
            bad_event.occurred_at,  # type: ignore[arg-type]
            bad_event.received_at,
            bad_event.data,
        ),
        "{}",
        "m-bad",
    )
    # WHEN the batch is stored, the database refuses the NOT NULL column
    with pytest.raises(StorageError, match="storing events"):
        stored(store, [good, bad], [])
    # THEN the transaction rolled back: not even the good event's raw row is there
    assert count(engine, raw_events) == 0


def test_list_is_newest_first_and_pages_with_a_cursor(engine: Engine) -> None:
    # GIVEN five events a minute apart, two of them at the same instant
    store = SqlEventStore(engine)
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    stamps = [start + timedelta(minutes=n) for n in (0, 1, 2, 2, 3)]
    stored(
        store, [arrived(id=f"e{n}", occurred_at=s.isoformat()) for n, s in enumerate(stamps)], []
    )
    reader = SqlEventReader(engine)
    # WHEN read two at a time
    seen, after = [], None
    for _ in range(5):
        page = reader.list_events(EventQuery(limit=2, after=after))
        seen.extend(view.event_id for view in page.items)
        if page.next_cursor is None:
            break
        after = Cursor.decode(page.next_cursor)
    # THEN every event appears once, newest first, ties broken by arrival order (later first)
    assert seen == ["e4", "e3", "e2", "e1", "e0"]


def test_list_filters_by_source_type_and_time(engine: Engine) -> None:
    # GIVEN events of two sources and two types over three hours
    store = SqlEventStore(engine)
    stored(
        store,
        [
            arrived(
                id="a", source="shop", type="order.created", occurred_at="2026-11-22T06:00:00Z"
            ),
            arrived(id="b", source="shop", type="order.paid", occurred_at="2026-11-22T07:00:00Z"),
            arrived(id="c", source="crm", type="order.created", occurred_at="2026-11-22T07:30:00Z"),
            arrived(
                id="d", source="shop", type="order.created", occurred_at="2026-11-22T08:00:00Z"
            ),
        ],
        [],
    )
    reader = SqlEventReader(engine)
    # WHEN filtered
    query = EventQuery(
        source="shop",
        type="order.created",
        since=datetime(2026, 11, 22, 6, 30, tzinfo=UTC),
        until=datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
    )
    # THEN only matching events in [since, until) come back
    assert [view.event_id for view in reader.list_events(query).items] == ["d"]


def test_unknown_event_reads_as_none_and_ping_succeeds(engine: Engine) -> None:
    reader = SqlEventReader(engine)
    assert reader.get_event("shop", "nope") is None
    reader.ping()
