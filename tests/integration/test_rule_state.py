"""Rule verdicts written with their events, on SQLite and MySQL: windows decided on what is stored,
sightings that only move forward, and writers racing on one window."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from chalicelib.adapters.db.event_store import SqlEventStore
from chalicelib.adapters.db.tables import rule_groups, rule_matches
from chalicelib.domain.dry_run import replay
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


VOLUME = rule(
    id="volume",
    kind="threshold",
    group_by=("card",),
    threshold=Threshold("sum", "amount", ">=", 100, timedelta(minutes=10)),
)


def payment(event_id: str, minute: float, amount: float) -> ArrivedEvent:
    moment = T0 + timedelta(minutes=minute)
    event = Event(
        "payments", "payment", event_id, moment, moment, {"card": "c-1", "amount": amount}
    )
    return ArrivedEvent(event, json.dumps({"id": event_id}), f"m-{event_id}")


def observed(engine: Engine) -> list[tuple[str, float | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(rule_matches.c.match_key, rule_matches.c.observed))
        return sorted((row.match_key, row.observed) for row in rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_arrival_order_ends_with_the_matches_a_dry_run_gives(engine: Engine, seed: int) -> None:
    # GIVEN payments on one card a minute or more apart (each in a bucket of its own), some of
    # whose ten-minute windows sum to 100 or more
    items = [
        payment(f"p{n}", minute, amount)
        for n, (minute, amount) in enumerate(
            [(0, 40), (2, 30), (3, 35), (9, 10), (12, 60), (14, 5), (25, 99), (30, 1), (31, 2)]
        )
    ]
    expected = [
        (one.match_key, one.observed)
        for one in replay(VOLUME, [item.event for item in items], RuleCatalog(), None).matches
    ]
    # WHEN they arrive one batch each, in a shuffled order, every batch delivered twice
    for item in random.Random(seed).sample(items, len(items)):
        for _ in range(2):
            stored(SqlEventStore(engine), [item], [], judged_by(VOLUME, item))
    # THEN the matches and their observed values are the dry-run's (which replays in time order)
    assert observed(engine) == sorted(expected)
    # AND those are, by hand: each window ending at p2, p3, p4, p7, p8 sums to 100 or more (p4's
    # starts at 2:10, so p1, exactly ten minutes before it, is not in it)
    assert expected == [
        ("window:payments:p2", 105.0),
        ("window:payments:p3", 115.0),
        ("window:payments:p4", 105.0),
        ("window:payments:p7", 100.0),
        ("window:payments:p8", 102.0),
    ]


def test_a_crossing_a_late_entry_undoes_is_kept_with_the_value_it_had(engine: Engine) -> None:
    # GIVEN an average-below rule, and a small payment: its window crosses with 5
    cheap = rule(
        id="cheap",
        kind="threshold",
        group_by=("card",),
        threshold=Threshold("avg", "amount", "<", 10, timedelta(minutes=10)),
    )
    small = payment("p-small", 5, 5)
    stored(SqlEventStore(engine), [small], [], judged_by(cheap, small))
    assert observed(engine) == [("window:payments:p-small", 5.0)]
    # WHEN a large payment from a minute before arrives late: that window now averages 52.5
    large = payment("p-large", 4, 100)
    stored(SqlEventStore(engine), [large], [], judged_by(cheap, large))
    # THEN the crossing is not taken back, and keeps the value it crossed with
    assert observed(engine) == [("window:payments:p-small", 5.0)]


def judged_by(one_rule: object, item: ArrivedEvent) -> Verdicts:
    verdicts = Verdicts()
    RuleEngine([one_rule], RuleCatalog()).evaluate(item.event, T0, verdicts)  # type: ignore[list-item]
    return verdicts


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
