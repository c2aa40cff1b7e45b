"""SqlStatusObservations on SQLite and MySQL: a source's status observations, in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from chalicelib.adapters.db.status_observations import SqlStatusObservations
from chalicelib.adapters.db.tables import events
from chalicelib.adapters.rule_files.availability import load_availability
from chalicelib.domain.availability import (
    Observation,
    availability_rows,
    range_windows,
    reading_span,
)

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def stored(engine: Engine, *rows: tuple[str, str, int, dict[str, Any]]) -> None:
    """Events as the processor stores them: (source, event id, minutes after T0, data)."""
    with engine.begin() as conn:
        conn.execute(
            insert(events),
            [
                {
                    "source": source,
                    "event_id": event_id,
                    "type": "status",
                    "occurred_at": T0 + timedelta(minutes=minutes),
                    "received_at": T0,
                    "processed_at": T0,
                    "data": data,
                }
                for source, event_id, minutes, data in rows
            ],
        )


def read(engine: Engine, start: int, end: int, field: str = "status") -> list[Observation]:
    reader = SqlStatusObservations(engine)
    return list(
        reader.observations(
            "stores", "store", field, T0 + timedelta(minutes=start), T0 + timedelta(minutes=end)
        )
    )


def test_observations_come_in_time_order_with_events_lacking_a_status_left_out(
    engine: Engine,
) -> None:
    # GIVEN status events of two stores, interleaved, a heartbeat without a status, one with a
    # JSON null status, another source's status, and one event outside the range on each side
    stored(
        engine,
        ("stores", "a-3", 30, {"store": "s-001", "status": "inactive"}),
        ("stores", "b-1", 10, {"store": "s-002", "status": "active"}),
        ("stores", "a-1", 5, {"store": "s-001", "status": "active"}),
        ("stores", "hb", 12, {"store": "s-001", "kind": "heartbeat"}),
        ("stores", "null", 13, {"store": "s-001", "status": None}),
        ("sensors", "x", 14, {"store": "s-001", "status": "down"}),
        ("stores", "early", -1, {"store": "s-001", "status": "down"}),
        ("stores", "late", 60, {"store": "s-001", "status": "down"}),
    )
    # WHEN the range [T0, T0 + 60 min) is read
    found = read(engine, 0, 60)
    # THEN the three observations come in time order, the status values as stored
    assert found == [
        Observation("s-001", T0 + timedelta(minutes=5), "active"),
        Observation("s-002", T0 + timedelta(minutes=10), "active"),
        Observation("s-001", T0 + timedelta(minutes=30), "inactive"),
    ]


def test_observations_at_one_instant_come_in_the_order_they_were_stored(engine: Engine) -> None:
    # GIVEN two observations of one store at the same instant, stored one after the other
    stored(engine, ("stores", "z", 5, {"store": "s-001", "status": "active"}))
    stored(engine, ("stores", "a", 5, {"store": "s-001", "status": "inactive"}))
    # WHEN they are read
    found = read(engine, 0, 60)
    # THEN the one stored last comes last (the report lets it win)
    assert [one.status for one in found] == ["active", "inactive"]


def test_a_boolean_status_and_a_numeric_entity_read_alike_on_both_databases(
    engine: Engine,
) -> None:
    # GIVEN a sensor-like feed: numeric entity ids and a boolean status
    stored(
        engine,
        ("stores", "1", 1, {"store": 17, "online": True}),
        ("stores", "2", 2, {"store": 17, "online": False}),
    )
    # WHEN they are read
    found = read(engine, 0, 60, field="online")
    # THEN the entity is text and the status reads as up then down (True/1, then False/0)
    assert [one.entity for one in found] == ["17", "17"]
    assert [bool(one.status) for one in found] == [True, False]


def test_stored_observations_become_the_availability_report_of_the_repositorys_stores(
    engine: Engine,
) -> None:
    # GIVEN the stores source as rules/ defines it (s-001 open Mon 09:00-20:00 Berlin = 08-19Z,
    # stale after 2 h) and s-001 inactive at 07:30Z (before the hour), active at 08:20Z (Mon)
    stores = load_availability(Path(__file__).resolve().parents[2] / "rules")["stores"]
    stored(
        engine,
        ("stores", "s-001:1", -30, {"store": "s-001", "kind": "status", "status": "inactive"}),
        ("stores", "s-001:2", 20, {"store": "s-001", "kind": "status", "status": "active"}),
        ("stores", "s-001:3", 25, {"store": "s-001", "kind": "sale", "amount": 9.5}),
    )
    # WHEN the report for the hour to 09:00Z reads what it needs
    windows = range_windows(T0, T0 + timedelta(hours=1), "minutes")
    span = reading_span(windows, stores.settings)
    observations = SqlStatusObservations(engine).observations(
        "stores", stores.settings.entity_field, stores.settings.status_field, span.start, span.end
    )
    rows = availability_rows(observations, stores.hours, stores.settings, windows)
    cells = {row.entity: row.cells() for row in rows}
    # THEN s-001: down 08:00-08:20 (carried in from 07:30) = 20 min, up 40 min; the other listed
    # stores are unknown while open (s-002 08:00-12:00 Berlin = 07-11Z: 60 min; s-003 closed on
    # Mondays; s-004 24x7: 60 min)
    assert cells == {
        "s-001": ("s-001", "Europe/Berlin", 40.0, 20.0, 0.0),
        "s-002": ("s-002", "Europe/Berlin", 0.0, 0.0, 60.0),
        "s-003": ("s-003", "Europe/Berlin", 0.0, 0.0, 0.0),
        "s-004": ("s-004", "Europe/Berlin", 0.0, 0.0, 60.0),
    }
