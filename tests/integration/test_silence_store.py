"""Silences kept on SQLite and MySQL: stored and read back exactly, listed newest first with or
without their history, the live ones found for the notifier, and ended early once; and the
flows behind /silences on the real store and the real rules/."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from chalicelib.adapters.db.silence_store import SqlSilenceStore
from chalicelib.adapters.db.tables import silences
from chalicelib.adapters.rule_files.rules import load_rulebook
from chalicelib.domain.errors import NotFound, RequestError
from chalicelib.domain.silences import Matchers, Silence, WeeklyRecurrence
from chalicelib.services.silences import (
    create_silence,
    expire_silence,
    get_silence,
    list_silences,
)
from tests.builders import FixedClock

NOW = datetime(2026, 12, 4, 9, 0, 0, 123456, tzinfo=UTC)
RULES = Path(__file__).resolve().parents[2] / "rules"


def silence(
    silence_id: str, *, created: float = 0, starts: float = -1, ends: float = 8, **changes: Any
) -> Silence:
    """A silence created ``created`` hours from NOW, running from ``starts`` to ``ends`` hours."""
    base = Silence(
        id=silence_id,
        matchers=Matchers(
            ("large-payment",),
            ("payments",),
            {"team": ("payments", "ops")},
            {"store": ("7",), "merchant": ("acme",)},
        ),
        starts_at=NOW + timedelta(hours=starts),
        ends_at=NOW + timedelta(hours=ends),
        timezone="UTC",
        recurrence=None,
        comment="database upgrade",
        author="alice",
        created_at=NOW + timedelta(hours=created),
    )
    return replace(base, **changes)


def stored(engine: Engine, *items: Silence) -> SqlSilenceStore:
    store = SqlSilenceStore(engine)
    for item in items:
        store.add(item)
    return store


def test_a_silence_is_read_back_exactly_as_it_was_stored(engine: Engine) -> None:
    # GIVEN a Berlin silence with weekly windows, every time with microseconds
    nights = silence(
        "s-1",
        timezone="Europe/Berlin",
        recurrence=WeeklyRecurrence((4, 5), time(22, 0), time(6, 30)),
        comment="ü" * 1000,
        author="a" * 200,
    )
    # WHEN it is stored and read
    store = stored(engine, nights, silence("s-2"))
    # THEN it is the same value, times aware UTC
    assert store.get("s-1") == nights
    assert store.get("s-2") == silence("s-2")
    assert store.get("s-3") is None


def test_a_silence_without_recurrence_stores_sql_null(engine: Engine) -> None:
    stored(
        engine,
        silence("s-1"),
        silence("s-2", recurrence=WeeklyRecurrence((0,), time(1, 0), time(2, 0))),
    )
    with engine.connect() as conn:
        assert conn.scalars(select(silences.c.id).where(silences.c.recurrence.is_(None))).all() == [
            "s-1"
        ]


def test_the_list_is_newest_first_and_leaves_out_what_ended_unless_asked(engine: Engine) -> None:
    # GIVEN a running, a coming, an ended and an expired silence, created one after the other
    store = stored(
        engine,
        silence("running", created=-4),
        silence("coming", created=-3, starts=2, ends=5),
        silence("ended", created=-2, starts=-3, ends=0),
        silence("expired", created=-1, expired_at=NOW),
    )
    # WHEN they are listed THEN the history shows all, newest first
    assert [one.id for one in store.list_silences(True, NOW)] == [
        "expired",
        "ended",
        "coming",
        "running",
    ]
    # AND the default list shows what is still to come or running
    assert [one.id for one in store.list_silences(False, NOW)] == ["coming", "running"]
    # AND one expiring later still counts as not ended
    later = silence("later", created=-5, expired_at=NOW + timedelta(seconds=1))
    store.add(later)
    assert [one.id for one in store.list_silences(False, NOW)] == ["coming", "running", "later"]


def test_live_silences_are_those_between_start_and_end_and_not_expired(engine: Engine) -> None:
    # GIVEN silences around NOW, one with windows that are not open now
    between_windows = silence("weekly", recurrence=WeeklyRecurrence((0,), time(1), time(2)))
    store = stored(
        engine,
        silence("starts-now", starts=0),
        silence("ends-now", starts=-2, ends=0),
        silence("coming", starts=0.01),
        silence("expired", expired_at=NOW),
        silence("expiring", expired_at=NOW + timedelta(minutes=1)),
        between_windows,
    )
    # WHEN the live ones are read
    live = store.live(NOW)
    # THEN the ones between start and end come, windows left to the caller
    assert [one.id for one in live] == ["expiring", "starts-now", "weekly"]
    assert [one.id for one in live if one.active_at(NOW)] == ["expiring", "starts-now"]


def test_expiring_ends_a_silence_once_and_keeps_it_as_history(engine: Engine) -> None:
    store = stored(engine, silence("s-1"), silence("ended", ends=-1, starts=-2))
    # WHEN a running silence is expired THEN it ended now
    assert store.expire("s-1", NOW) == silence("s-1", expired_at=NOW)
    # AND expiring it again later keeps the first time
    assert store.expire("s-1", NOW + timedelta(minutes=5)) == silence("s-1", expired_at=NOW)
    # AND a silence that already ended by itself is left as it was
    assert store.expire("ended", NOW) == silence("ended", ends=-1, starts=-2)
    assert store.expire("nobody", NOW) is None
    assert [one.id for one in store.list_silences(True, NOW)] == ["s-1", "ended"]  # ties: by id


# --- the flows behind /silences ------------------------------------------------------------------


def test_a_silence_is_created_listed_read_and_ended_through_the_flows(engine: Engine) -> None:
    # GIVEN the real rules/ and a clock
    store, clock, book = SqlSilenceStore(engine), FixedClock(NOW), load_rulebook(RULES)
    # WHEN on-call silences store 7's feed, a source known only from its CSV definition
    created = create_silence(
        {
            "matchers": {
                "rule": "store-feed-silent",
                "source": ["stores", "sensors"],
                "group": {"store": 7},
            },
            "ends_at": "2026-12-04T12:00:00",
            "timezone": "Europe/Berlin",
            "comment": "store 7 closed for the day",
            "author": "bob",
        },
        store=store,
        clock=clock,
        new_id=lambda: "a" * 32,
        book=book,
    )
    # THEN it is stored as parsed, and listed and read back
    assert created.ends_at == datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    assert created.matchers.sources == ("stores", "sensors")
    assert get_silence("a" * 32, store=store) == created
    assert list_silences({}, store=store, clock=clock) == [created]
    # WHEN it is ended, twice THEN the second answer is the first
    clock.advance(minutes=10)
    ended = expire_silence("a" * 32, store=store, clock=clock)
    clock.advance(minutes=10)
    assert expire_silence("a" * 32, store=store, clock=clock) == ended
    assert ended.expired_at == NOW + timedelta(minutes=10)
    assert list_silences({}, store=store, clock=clock) == []
    assert list_silences({"state": "all"}, store=store, clock=clock) == [ended]


def test_an_unknown_rule_is_refused_and_nothing_is_stored(engine: Engine) -> None:
    store = SqlSilenceStore(engine)
    with pytest.raises(RequestError) as caught:
        create_silence(
            {
                "matchers": {"rule": "large-paymnet"},
                "ends_at": "2026-12-05T00:00:00Z",
                "comment": "x",
                "author": "y",
            },
            store=store,
            clock=FixedClock(NOW),
            new_id=lambda: "s-1",
            book=load_rulebook(RULES),
        )
    assert [(one.field, one.message) for one in caught.value.details] == [
        ("matchers.rule", "no rule is called this; did you mean 'large-payment'?")
    ]
    assert store.list_silences(True, NOW) == []


def test_an_unknown_silence_is_not_found(engine: Engine) -> None:
    store = SqlSilenceStore(engine)
    for attempt in (
        lambda: get_silence("nope", store=store),
        lambda: expire_silence("nope", store=store, clock=FixedClock(NOW)),
    ):
        with pytest.raises(NotFound) as caught:
            attempt()
        assert [(one.field, one.value) for one in caught.value.details] == [("id", "nope")]
