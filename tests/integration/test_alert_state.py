"""Alerts written with their events, on SQLite and MySQL: writers racing on one fingerprint open
one alert, a redelivered event adds nothing, and two notifiers never claim one notice."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from chalicelib.adapters.db.alert_outbox import SqlAlertOutbox
from chalicelib.adapters.db.event_store import SqlEventStore
from chalicelib.adapters.db.tables import alert_outbox, alerts
from chalicelib.domain.events import ArrivedEvent, Event
from chalicelib.domain.rules import RuleCatalog, RuleEngine, Verdicts
from tests.builders import rule
from tests.integration.test_event_store import stored

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
LARGE = rule(
    id="large",
    group_by=("merchant",),
    when="amount > 100",
    field_types={"amount": "number", "merchant": "string"},
)


def arrived(event_id: str, merchant: str = "acme", amount: float = 500) -> ArrivedEvent:
    event = Event("payments", "payment", event_id, T0, T0, {"merchant": merchant, "amount": amount})
    return ArrivedEvent(event, json.dumps({"id": event_id}), f"m-{event_id}")


def store(engine: Engine, *items: ArrivedEvent) -> int:
    verdicts = Verdicts()
    judge = RuleEngine([LARGE], RuleCatalog())
    for item in items:
        judge.evaluate(item.event, T0, verdicts)
    return stored(SqlEventStore(engine), list(items), [], verdicts, T0).notices


def alert_rows(engine: Engine) -> list[tuple[str, int, str]]:
    with engine.connect() as conn:
        return [
            (row.status, row._mapping["count"], row.group_values[0][1])
            for row in conn.execute(select(alerts).order_by(alerts.c.id))
        ]


def test_a_redelivered_event_adds_nothing_to_its_alert(engine: Engine) -> None:
    assert store(engine, arrived("p-1")) == 1
    assert store(engine, arrived("p-1")) == 0
    assert store(engine, arrived("p-2")) == 0  # counts on the open alert, notifies nobody
    assert alert_rows(engine) == [("open", 2, "acme")]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(alert_outbox)) == 1


def test_writers_racing_on_one_fingerprint_open_one_alert(engine: Engine) -> None:
    # GIVEN eight transactions, each storing one match of the same merchant at the same moment
    items = [arrived(f"r-{n}") for n in range(8)]
    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def write(item: ArrivedEvent) -> None:
        start.wait()
        try:
            store(engine, item)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # THEN one alert counts all eight, and one opened notice was queued
    assert errors == []
    assert alert_rows(engine) == [("open", 8, "acme")]
    with engine.connect() as conn:
        assert conn.scalars(select(alert_outbox.c.transition)).all() == ["opened"]


def test_two_notifiers_never_claim_the_same_notice(engine: Engine) -> None:
    for merchant in ("a", "b", "c"):
        store(engine, arrived(f"p-{merchant}", merchant=merchant))
    outbox = SqlAlertOutbox(engine)
    first = outbox.claim_due(T0, 2, 60)
    second = outbox.claim_due(T0, 10, 60)
    assert [one.alert.group for one in first] == [(("merchant", "a"),), (("merchant", "b"),)]
    assert [one.alert.group for one in second] == [(("merchant", "c"),)]
    # WHEN a claim lapses unsettled THEN the notice is due again; once settled it never is
    assert outbox.claim_due(T0 + timedelta(seconds=30), 10, 60) == []
    again = outbox.claim_due(T0 + timedelta(seconds=61), 10, 60)
    assert len(again) == 3
    outbox.settle(again[0].outbox_id, "sent", T0, "sent", message_id="m-1")
    outbox.settle(again[0].outbox_id, "sent", T0, "sent twice", message_id="m-2")
    later = outbox.claim_due(T0 + timedelta(minutes=5), 10, 60)
    assert sorted(one.outbox_id for one in later) == sorted(one.outbox_id for one in again[1:])
    with engine.connect() as conn:
        assert (
            conn.scalar(
                select(alert_outbox.c.message_id).where(alert_outbox.c.id == again[0].outbox_id)
            )
            == "m-1"
        )


def test_matches_of_several_fingerprints_update_each_alert_in_one_batch(engine: Engine) -> None:
    # GIVEN two open alerts, one per merchant
    assert store(engine, arrived("p-1", "acme"), arrived("p-2", "globex")) == 2
    with engine.connect() as conn:
        before = {row.fingerprint: row._asdict() for row in conn.execute(select(alerts))}
        last_id = conn.scalar(select(func.max(alerts.c.id)))
    # WHEN one batch adds a match to the first and two to the second
    assert (
        store(engine, arrived("p-3", "acme"), arrived("p-4", "globex"), arrived("p-5", "globex"))
        == 0
    )
    # THEN each alert counts its own, its latest sample moved, and nothing else changed
    with engine.connect() as conn:
        after = {row.fingerprint: row._asdict() for row in conn.execute(select(alerts))}
    assert sorted((row["count"], row["sample_event_id"]) for row in after.values()) == [
        (2, "p-3"),
        (3, "p-5"),
    ]
    moved = {"count", "sample_event_id", "last_matched_at", "updated_at"}
    for print_, row in after.items():
        assert {name: value for name, value in row.items() if name not in moved} == {
            name: value for name, value in before[print_].items() if name not in moved
        }
    # AND the next alert opened takes the next id: writing over the stored rows took none
    assert store(engine, arrived("p-6", "initech")) == 1
    assert alert_rows(engine)[-1] == ("open", 1, "initech")
    with engine.connect() as conn:
        assert conn.scalar(select(func.max(alerts.c.id))) == last_id + 1


def test_the_batched_alert_writer_knows_every_column_of_an_alert() -> None:
    # GIVEN the columns an alert is stored with; THEN the batch writer writes each of them
    from chalicelib.adapters.db.alert_state import ALERT_ROWS

    assert [name for name, _ in ALERT_ROWS.columns] == [column.name for column in alerts.columns]
