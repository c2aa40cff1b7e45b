"""Rule verdicts written with their events, on SQLite and MySQL: windows decided on what is stored,
sightings that only move forward, and writers racing on one window."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from chalicelib.adapters.db.event_store import SqlEventStore
from chalicelib.adapters.db.tables import rule_groups, rule_matches
from chalicelib.domain.events import ArrivedEvent, Event
from chalicelib.domain.rules import RuleCatalog, RuleEngine, Threshold, Verdicts
from chalicelib.domain.rules.model import Absence
from tests.builders import rule
from tests.integration.test_event_store import stored

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
BURST = rule(
    id="burst",
    kind="threshold",
    group_by=("card",),
    threshold=Threshold("count", None, ">=", 5, timedelta(minutes=10)),
)
SILENT = rule(
    id="silent", kind="absence", group_by=("card",), absence=Absence(timedelta(minutes=15), "seen")
)


def arrived(event_id: str, minute: float, card: str = "c-1") -> ArrivedEvent:
    moment = T0 + timedelta(minutes=minute)
    event = Event("payments", "payment", event_id, moment, moment, {"card": card})
    return ArrivedEvent(event, json.dumps({"id": event_id}), f"m-{event_id}")


def judged(*items: ArrivedEvent) -> Verdicts:
    verdicts = Verdicts()
    engine = RuleEngine([BURST, SILENT], RuleCatalog())
    for item in items:
        engine.evaluate(item.event, T0, verdicts)
    return verdicts


def store(engine: Engine, *items: ArrivedEvent) -> int:
    return stored(SqlEventStore(engine), list(items), [], judged(*items)).matched


def match_keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.scalars(select(rule_matches.c.match_key)))


def test_a_window_filled_over_several_batches_crosses_once(engine: Engine) -> None:
    for minute in range(4):
        store(engine, arrived(f"e{minute}", minute))
    assert match_keys(engine) == []
    store(engine, arrived("e4", 4))
    store(engine, arrived("e4", 4))  # redelivered
    assert match_keys(engine) == ["window:payments:e4"]


def test_verdicts_on_an_event_already_stored_are_not_recorded_again(engine: Engine) -> None:
    first = [arrived(f"e{n}", n) for n in range(5)]
    store(engine, *first)
    # a replay of the same events, under a rule whose window would now count them twice
    assert store(engine, *first) == 0
    assert match_keys(engine) == ["window:payments:e4"]


def test_a_sighting_moves_forward_only(engine: Engine) -> None:
    store(engine, arrived("new", 30))
    store(engine, arrived("old", 5))
    with engine.connect() as conn:
        rows = conn.execute(
            select(rule_groups.c.rule_id, rule_groups.c.since, rule_groups.c.last_seen_at).order_by(
                rule_groups.c.rule_id
            )
        )
        found = [(row.rule_id, row.since, row.last_seen_at) for row in rows]
    assert found == [
        ("burst", T0 + timedelta(minutes=30), T0 + timedelta(minutes=30)),
        ("silent", T0 + timedelta(minutes=30), T0 + timedelta(minutes=30)),
    ]


def test_five_writers_racing_on_one_window_record_the_crossing(engine: Engine) -> None:
    # GIVEN, for each of eight cards, five events in one window, each stored by its own
    # transaction at the same moment (one race rarely loses without the group lock; eight do)
    for card in range(8):
        race(engine, [arrived(f"r{card}-{n}", n, card=f"c-{card}") for n in range(5)])
    # THEN each window that holds all five crossed, whoever committed last
    assert match_keys(engine) == [f"window:payments:r{card}-4" for card in range(8)]


def race(engine: Engine, items: list[ArrivedEvent]) -> None:
    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def write(item: ArrivedEvent) -> None:
        start.wait()
        try:
            store(engine, item)
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
