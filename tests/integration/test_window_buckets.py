"""Threshold windows' buckets in the database, on SQLite and MySQL: the upsert adds up in any order
and keeps the latest entry, a read takes each group's range with its tokens, pruning goes in
bounded batches, and the migration carries per-event entries over into buckets."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.rule_state import SqlRuleWork
from chalicelib.adapters.db.tables import rule_window_buckets, rule_window_tokens
from chalicelib.adapters.db.window_state import SqlWindowState
from chalicelib.domain.rules import (
    BucketRead,
    GroupKey,
    WindowBucket,
    WindowEntry,
    aggregate,
    collect,
)
from chalicelib.domain.rules.buckets import bucket_of
from tests.conftest import fresh_mysql_database

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TEN = timedelta(seconds=10)
# five entries of one bucket; the latest is (08:00:05, payments, b-2): a later time wins, then a
# greater source, then a greater id, whatever the others say
ENTRIES = [
    (3, "payments", "p-1", 30.0, "ip-a"),
    (5, "logins", "z-9", 10.0, "ip-b"),
    (5, "payments", "b-2", 50.0, "ip-a"),
    (5, "payments", "a-1", 20.0, "ip-c"),
    (1, "zeta", "zz", 40.0, None),
]


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own with nothing in it, to migrate step by step."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'tripline.db'}")
        yield engine
        engine.dispose()
        return
    with fresh_mysql_database("tripline_buckets") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def bucket(
    second: float, source: str, event_id: str, number: float, token: str | None
) -> WindowBucket:
    moment = T0 + timedelta(seconds=second)
    return WindowBucket(
        bucket_of(moment, TEN),
        WindowEntry(moment, source, event_id),
        1,
        1,
        number,
        number,
        number,
        frozenset() if token is None else frozenset((token,)),
    )


def read(
    engine: Engine, group: GroupKey, low: datetime = T0, high: datetime = T0 + TEN
) -> list[WindowBucket]:
    with engine.connect() as conn:
        found = SqlRuleWork(conn).window_buckets(
            [BucketRead(*group[:2], (group[2],), low, high, True)]
        )
    return found.get(group, [])


def test_a_bucket_adds_up_and_keeps_its_latest_entry_whatever_order_its_entries_came_in(
    engine: Engine,
) -> None:
    # GIVEN the same five entries added to five groups' buckets in five orders, one batch each
    orders = [list(ENTRIES), list(reversed(ENTRIES))]
    rng = random.Random(2026)
    orders += [rng.sample(ENTRIES, len(ENTRIES)) for _ in range(3)]
    for index, order in enumerate(orders):
        group = ("burst", "s1", f"card-{index}")
        for entry in order:
            with engine.begin() as conn:
                SqlRuleWork(conn).add_window_buckets({group: {T0: bucket(*entry)}})
    # THEN every group holds one bucket with the same sums, least, greatest, tokens and latest
    found = {tuple(read(engine, ("burst", "s1", f"card-{index}"))) for index in range(len(orders))}
    [(one,)] = found
    assert (one.count, one.numbers, one.total, one.low, one.high) == (5, 5, 150.0, 10.0, 50.0)
    assert one.latest == WindowEntry(T0 + timedelta(seconds=5), "payments", "b-2")
    assert one.tokens == {"ip-a", "ip-b", "ip-c"}


def test_one_batch_writes_all_its_buckets_at_once(engine: Engine) -> None:
    # GIVEN a batch with two groups, one of them in two buckets
    deltas = {
        ("burst", "s1", "card-1"): {
            T0: bucket(*ENTRIES[0]),
            T0 + TEN: bucket(15, "payments", "p-3", 1.0, None),
        },
        ("burst", "s1", "card-2"): {T0: bucket(*ENTRIES[2])},
    }
    with engine.begin() as conn:
        work = SqlRuleWork(conn)
        work.add_window_buckets(deltas)
        # WHEN the groups are read in one go, the first one's range ending before its second bucket
        found = work.window_buckets(
            [
                BucketRead("burst", "s1", ("card-1", "card-2"), T0, T0 + TEN, False),
                BucketRead("burst", "s1", ("card-1",), T0 + TEN, T0 + 2 * TEN, False),
            ]
        )
    # THEN each group has its rows, without tokens where none were asked for
    assert sorted(
        (group[2], one.start - T0, one.tokens) for group, rows in found.items() for one in rows
    ) == [
        ("card-1", timedelta(0), frozenset()),
        ("card-1", TEN, frozenset()),
        ("card-2", timedelta(0), frozenset()),
    ]


def test_pruning_goes_in_bounded_batches_and_keeps_what_is_recent(engine: Engine) -> None:
    # GIVEN five old buckets with a token each, and one recent
    group = ("burst", "s1", "card-1")
    with engine.begin() as conn:
        SqlRuleWork(conn).add_window_buckets(
            {
                group: {
                    T0 + n * TEN: bucket(n * 10, "payments", f"p-{n}", 1.0, "ip-a")
                    for n in range(6)
                }
            }
        )
    horizon = T0 + 5 * TEN
    state = SqlWindowState(engine)
    # WHEN it is pruned two rows at a time THEN two, two, one go, then nothing
    assert [state.prune(horizon, 2) for _ in range(4)] == [2, 2, 1, 0]
    # AND the recent bucket and its token are still there
    with engine.connect() as conn:
        assert conn.scalars(select(rule_window_buckets.c.bucket_start)).all() == [horizon]
        assert conn.scalars(select(rule_window_tokens.c.bucket_start)).all() == [horizon]


def test_the_migration_carries_entries_over_into_buckets_and_back_down_empty(
    empty_engine: Engine,
) -> None:
    # GIVEN a database before buckets, holding per-event entries: three at one instant, one a
    # few seconds later in the same ten seconds, one of a distinct rule
    migrations.upgrade(empty_engine, "0005")
    at = T0 + timedelta(seconds=2)
    rows = [
        ("burst", "card-1", "payments", "p-2", at, 20.0, None),
        ("burst", "card-1", "payments", "p-9", at, 5.0, None),
        ("burst", "card-1", "checkout", "c-1", at, 70.0, None),
        ("burst", "card-1", "payments", "p-1", at + timedelta(seconds=4), 1.0, None),
        ("logins", "maria", "logins", "l-1", at, None, "ip-a"),
    ]
    with empty_engine.begin() as conn:
        for rule_id, print_, source, event_id, moment, number, token in rows:
            conn.execute(
                text(
                    "INSERT INTO rule_window_entries (rule_id, state_version, fingerprint, "
                    "source, event_id, occurred_at, number, token) VALUES (:rule_id, 's1', "
                    ":print_, :source, :event_id, :moment, :number, :token)"
                ),
                {
                    "rule_id": rule_id,
                    "print_": print_,
                    "source": source,
                    "event_id": event_id,
                    "moment": moment.replace(tzinfo=None),
                    "number": number,
                    "token": token,
                },
            )
    # WHEN it is upgraded
    migrations.upgrade(empty_engine)
    # THEN the entries of one instant are one row, with their latest entry; read as ten-second
    # buckets, the group's window holds what its entries did
    burst = read(empty_engine, ("burst", "s1", "card-1"))
    assert sorted((one.start - T0, one.count, one.total, one.latest.event_id) for one in burst) == [
        (timedelta(seconds=2), 3, 95.0, "p-9"),
        (timedelta(seconds=6), 1, 1.0, "p-1"),
    ]
    [merged] = collect(burst, TEN).values()
    assert (merged.count, merged.low, merged.high, merged.latest.event_id) == (4, 1.0, 70.0, "p-1")
    assert aggregate("sum", [merged]) == 96.0
    [logins] = read(empty_engine, ("logins", "s1", "maria"))
    assert (logins.count, logins.numbers, logins.tokens) == (1, 0, {"ip-a"})
    # AND a downgrade re-creates the entries' table, empty
    migrations.downgrade(empty_engine, "0005")
    with empty_engine.connect() as conn:
        assert conn.scalar(text("SELECT COUNT(*) FROM rule_window_entries")) == 0
