"""Rules in the pipeline, through app.py, on SQLite and MySQL: all three kinds, redelivery, events
that arrive late, a rule that fails on one event, GET /rules and a dry-run that writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chalicelib import bootstrap
from chalicelib.adapters.db.tables import (
    events,
    rule_failures,
    rule_groups,
    rule_matches,
    rule_window_buckets,
)
from chalicelib.services.rules import check_absences
from tests.builders import FixedClock, sqs_record
from tests.functional.helpers import JSON, post_events, process, queued_records
from tests.functional.uploads import put, run_pipeline

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

PAYMENTS = """\
type: payment.captured
id: payment_id
occurred_at: paid_at
columns:
  - {name: payment_id, type: string, required: true}
  - {name: paid_at, type: timestamp, required: true}
  - {name: card, type: string, required: true}
  - {name: merchant, type: string}
  - {name: status, type: string}
  - {name: amount, type: number}
  - {name: quantity, type: integer, default: 1}
derived:
  unit_amount: amount / quantity
"""

HEARTBEATS = """\
type: heartbeat
id: [store, sent_at]
occurred_at: sent_at
columns:
  - {name: store, type: string, required: true}
  - {name: sent_at, type: timestamp, required: true}
"""

RULES = {
    "large-payment.yaml": """\
id: large-payment
description: One payment over 5,000
severity: high
source: payments
group_by: [merchant]
message: "{amount} at {merchant}"
kind: match
when: amount > 5000
""",
    "declined-burst.yaml": """\
id: declined-burst
description: Three declines on one card within ten minutes
severity: medium
source: payments
group_by: [card]
message: "card {card} declined {observed} times"
kind: threshold
when: status == "declined"
aggregate: count
op: ">="
value: 3
within: 10m
""",
    "pricey-unit.yaml": """\
id: pricey-unit
description: A unit price over 100, which fails on a quantity of zero
severity: low
source: payments
message: "{unit_amount} per unit"
kind: match
when: amount / quantity > 100
""",
    "store-silent.yaml": """\
id: store-silent
description: A store sent no heartbeat for 15 minutes
severity: high
source: heartbeats
group_by: [store]
message: "store {store} is silent"
kind: absence
within: 15m
expect: listed
entities: [s-1, s-2]
never_seen: alert
""",
}


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "rules"
    (directory / "sources").mkdir(parents=True)
    (directory / "sources" / "payments.yaml").write_text(PAYMENTS)
    (directory / "sources" / "heartbeats.yaml").write_text(HEARTBEATS)
    for name, text in RULES.items():
        (directory / name).write_text(text)
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(directory))
    return directory


@pytest.fixture
def clock(rules_dir: Path, app_env: dict[str, Any]) -> Iterator[FixedClock]:
    fixed = FixedClock(NOW)
    bootstrap.container().clock = fixed
    yield fixed


def payment(event_id: str, minutes_ago: float, **data: Any) -> dict[str, Any]:
    stamp = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    base = {"card": "c-1", "merchant": "acme", "status": "captured", "amount": 10}
    return {
        "source": "payments",
        "type": "payment.captured",
        "id": event_id,
        "occurred_at": stamp,
        "data": base | data,
    }


def deliver(client: Any, app_env: dict[str, Any], *items: dict[str, Any]) -> list[dict[str, Any]]:
    """Post, process, and return the records so a test can deliver them again."""
    response = post_events(client, {"events": list(items)})
    assert response.status_code == 202, response.body
    assert json.loads(response.body)["accepted"] == len(items), response.body
    records = queued_records(app_env)
    assert process(client, records) == []
    return records


def redeliver(client: Any, records: list[dict[str, Any]]) -> None:
    assert (
        process(client, [sqs_record(r["body"], message_id=r["messageId"]) for r in records]) == []
    )


def matches(rule_id: str) -> list[tuple[str, str | None, float | None]]:
    with bootstrap.container().engine.connect() as conn:
        rows = conn.execute(
            select(rule_matches.c.match_key, rule_matches.c.rule_version, rule_matches.c.observed)
            .where(rule_matches.c.rule_id == rule_id)
            .order_by(rule_matches.c.occurred_at)
        ).all()
    return [(row.match_key, row.rule_version, row.observed) for row in rows]


def count(table: Any) -> int:
    with bootstrap.container().engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def counted_in_windows() -> int:
    """How many entries the threshold windows' buckets hold, all rules and groups together."""
    with bootstrap.container().engine.connect() as conn:
        return int(conn.scalar(select(func.sum(rule_window_buckets.c.entries))) or 0)


def test_a_match_rule_fires_once_per_event_however_often_it_is_delivered(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN a large and a small payment, WHEN delivered twice
    records = deliver(client, app_env, payment("p-1", 5, amount=9000), payment("p-2", 4))
    redeliver(client, records)
    # THEN the large one matched once, recorded with the rule's version
    version = bootstrap.container().rulebook.rule("large-payment").version  # type: ignore[union-attr]
    assert matches("large-payment") == [("event:payments:p-1", version, None)]


def test_a_threshold_rule_fires_when_its_window_fills_and_not_again_on_redelivery(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN two declines on card c-1 and one on another card, within ten minutes
    deliver(
        client,
        app_env,
        payment("d-1", 9, status="declined"),
        payment("d-2", 6, status="declined"),
        payment("x-1", 5, status="declined", card="c-2"),
    )
    assert matches("declined-burst") == []
    # WHEN a third decline on c-1 arrives, and then the whole batch is delivered again
    records = deliver(client, app_env, payment("d-3", 1, status="declined"))
    redeliver(client, records)
    # THEN the window ending at the third decline crossed, once, with three in it
    assert [(key, observed) for key, _, observed in matches("declined-burst")] == [
        ("window:payments:d-3", 3.0)
    ]
    assert counted_in_windows() == 4  # each decline once, the redelivered d-3 too


def test_a_late_event_lands_in_the_window_it_belongs_to(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN declines at 30 and 22 minutes ago (two within ten minutes), and one long after
    deliver(
        client,
        app_env,
        payment("d-30", 30, status="declined"),
        payment("d-22", 22, status="declined"),
        payment("d-1", 1, status="declined"),
    )
    assert matches("declined-burst") == []
    # WHEN a decline from 25 minutes ago arrives late, twice
    records = deliver(client, app_env, payment("d-25", 25, status="declined"))
    redeliver(client, records)
    # THEN the window ending at 22 minutes ago now holds three and crossed; the later one did not
    assert [key for key, _, _ in matches("declined-burst")] == ["window:payments:d-22"]


def test_a_rule_that_fails_on_an_event_is_recorded_and_the_others_still_run(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN a large payment with a quantity of zero (pricey-unit divides by it)
    deliver(client, app_env, payment("z-1", 3, amount=8000, quantity=0))
    # THEN the event is stored, large-payment matched, and pricey-unit's failure is recorded
    assert count(events) == 1
    assert [key for key, _, _ in matches("large-payment")] == ["event:payments:z-1"]
    with bootstrap.container().engine.connect() as conn:
        failure = conn.execute(select(rule_failures)).one()
    assert (failure.rule_id, failure.event_id) == ("pricey-unit", "z-1")
    assert "zero" in failure.reason
    stored = json.loads(client.http.get("/events/payments/z-1").body)
    assert stored["data"]["unit_amount"] is None  # the derived field failed too, so it is null


def test_derived_fields_are_stored_with_the_event(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    deliver(client, app_env, payment("u-1", 3, amount=500, quantity=4))
    stored = json.loads(client.http.get("/events/payments/u-1").body)
    assert stored["data"]["unit_amount"] == 125
    assert [key for key, _, _ in matches("pricey-unit")] == ["event:payments:u-1"]


def test_an_event_that_does_not_fit_its_source_is_rejected_with_its_field(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    response = post_events(client, payment("bad-1", 1, amount="a lot"))
    result = json.loads(response.body)["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"] == [
        {"field": "data.amount", "message": "must be a number, not a string", "value": "a lot"}
    ]


def test_an_absence_rule_reports_each_silence_once(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    services = bootstrap.container()
    heartbeat = {
        "source": "heartbeats",
        "type": "heartbeat",
        "id": "s-1@1",
        "occurred_at": (NOW - timedelta(minutes=1)).isoformat(),
        "data": {"store": "s-1", "sent_at": (NOW - timedelta(minutes=1)).isoformat()},
    }
    # GIVEN store s-1 sent a heartbeat a minute ago and s-2 never did; tracking starts now
    deliver(client, app_env, heartbeat)
    assert check_absences(book=services.rulebook, state=services.absence_state, clock=clock) == 0
    # WHEN 16 minutes pass and the check runs twice
    clock.advance(minutes=16)
    first = check_absences(book=services.rulebook, state=services.absence_state, clock=clock)
    again = check_absences(book=services.rulebook, state=services.absence_state, clock=clock)
    # THEN both stores are reported silent, once each
    assert (first, again) == (2, 0)
    assert len(matches("store-silent")) == 2
    # AND WHEN s-1 speaks again and falls silent once more, that is a new silence
    later = NOW + timedelta(minutes=17)
    deliver(
        client,
        app_env,
        heartbeat
        | {
            "id": "s-1@2",
            "occurred_at": later.isoformat(),
            "data": {"store": "s-1", "sent_at": later.isoformat()},
        },
    )
    clock.advance(minutes=4)
    assert check_absences(book=services.rulebook, state=services.absence_state, clock=clock) == 0
    clock.advance(minutes=15)
    assert check_absences(book=services.rulebook, state=services.absence_state, clock=clock) == 1
    assert count(rule_groups) == 2


def test_a_late_heartbeat_does_not_move_a_sighting_back(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    def beat(event_id: str, minutes_ago: int) -> dict[str, Any]:
        stamp = (NOW - timedelta(minutes=minutes_ago)).isoformat()
        return {
            "source": "heartbeats",
            "type": "heartbeat",
            "id": event_id,
            "occurred_at": stamp,
            "data": {"store": "s-1", "sent_at": stamp},
        }

    deliver(client, app_env, beat("new", 1))
    deliver(client, app_env, beat("old", 40))
    with bootstrap.container().engine.connect() as conn:
        seen = conn.execute(select(rule_groups.c.last_seen_at)).scalar_one()
    assert seen == NOW - timedelta(minutes=1)


def test_get_rules_lists_versions_and_match_counts(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    deliver(client, app_env, payment("p-1", 5, amount=9000), payment("p-2", 4, amount=7000))
    response = client.http.get("/rules")
    assert response.status_code == 200
    rules = {rule["id"]: rule for rule in json.loads(response.body)["items"]}
    assert sorted(rules) == ["declined-burst", "large-payment", "pricey-unit", "store-silent"]
    large = rules["large-payment"]
    assert large["matches"]["total"] == 2
    assert large["matches"]["by_version"] == {large["version"]: 2}
    assert large["file"].endswith("large-payment.yaml:1")
    assert rules["declined-burst"]["condition"] == (
        'count >= 3 within 10m of events where status == "declined"'
    )


def test_a_dry_run_over_stored_events_answers_would_be_alerts_and_writes_nothing(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN stored declines: three on c-1 within ten minutes, two on c-2
    deliver(
        client,
        app_env,
        *[payment(f"a-{n}", 50 - n, status="declined") for n in range(3)],
        *[payment(f"b-{n}", 40 - n, status="declined", card="c-2") for n in range(2)],
    )
    tables = (events, rule_matches, rule_window_buckets, rule_groups)
    before = [count(table) for table in tables]
    # WHEN a stricter threshold rule is dry-run over the last hour
    stricter = (
        RULES["declined-burst.yaml"]
        .replace("value: 3", "value: 2")
        .replace("id: declined-burst", "id: declined-pair")
    )
    response = client.http.post(
        "/rules/test",
        headers=JSON,
        body=json.dumps({"rule": stricter, "since": (NOW - timedelta(hours=1)).isoformat()}),
    )
    # THEN it answers an alert per card, by day, with the email text, and nothing was written
    assert response.status_code == 200, response.body
    report = json.loads(response.body)
    assert report["events"]["scanned"] == 5
    assert report["matched"] == 3  # c-1 crosses at its second and third, c-2 at its second
    assert report["alerts_opened"] == 2
    assert report["fires_per_day"] == {"2026-11-22": 3}
    assert [alert["group"] for alert in report["alerts"]] == [{"card": "c-1"}, {"card": "c-2"}]
    subject = report["alerts"][0]["notification"]["subject"]
    assert subject == "[MEDIUM] declined-pair: card=c-1"
    assert "card c-1 declined 3 times" in report["alerts"][0]["notification"]["body"]
    assert [count(table) for table in tables] == before


def test_a_dry_run_with_a_broken_rule_names_line_and_column(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    broken = RULES["large-payment.yaml"].replace("amount > 5000", "amout > 5000")
    response = client.http.post(
        "/rules/test",
        headers=JSON,
        body=json.dumps({"rule": broken, "events": [payment("p-1", 1)]}),
    )
    assert response.status_code == 400
    detail = json.loads(response.body)["error"]["details"][0]
    assert (detail["line"], detail["column"]) == (8, 7)
    assert "amount" in detail["message"]


def test_csv_rows_are_judged_by_the_rules_like_posted_events(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN a file of payments dropped into the bucket, one of them large
    body = (
        "payment_id,paid_at,card,merchant,status,amount\n"
        f"r-1,{(NOW - timedelta(minutes=3)).isoformat()},c-9,acme,captured,9500\n"
        f"r-2,{(NOW - timedelta(minutes=2)).isoformat()},c-9,acme,captured,20\n"
    ).encode()
    put(app_env, "incoming/payments/today.csv", body)
    run_pipeline(client, app_env)
    # THEN the large row matched
    assert [key for key, _, _ in matches("large-payment")] == ["event:payments:r-1"]


def test_the_scheduled_check_records_silences_through_the_handler(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN the check ran once (tracking of the listed stores begins), WHEN 15 minutes pass
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    first = client.lambda_.invoke("tick", event).payload
    clock.advance(minutes=15)
    second = client.lambda_.invoke("tick", event).payload
    # THEN both listed stores, never heard from, are reported silent once
    assert (first["absences_recorded"], second["absences_recorded"]) == (0, 2)
    assert len(matches("store-silent")) == 2


def test_the_scheduled_check_prunes_window_buckets_no_window_can_need(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    # GIVEN declines on two cards, and a day later another
    deliver(
        client,
        app_env,
        payment("d-1", 9, status="declined"),
        payment("x-1", 5, status="declined", card="c-2"),
    )
    clock.advance(days=1)
    deliver(client, app_env, payment("d-2", -(24 * 60 - 1), status="declined"))
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    # WHEN the check runs fourteen days after the first two: a late entry may still come for
    # them (for fourteen days, the queues' retention, plus the longest window, ten minutes)
    clock.advance(days=13)
    assert client.lambda_.invoke("tick", event).payload["window_buckets_pruned"] == 0
    # THEN once that has passed their buckets go, and the later one stays
    clock.advance(minutes=11)
    assert client.lambda_.invoke("tick", event).payload["window_buckets_pruned"] == 2
    assert counted_in_windows() == 1
