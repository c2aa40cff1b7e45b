"""Replays through the app: stored events run through a rule written today, as a job in chunks
on the replays queue, on SQLite and MySQL.

The events are stored in bulk, straight into the events table, as the pipeline would have stored
them before the rule existed; the rules directory is the repository's plus that new rule. What
the replay writes is compared with what ``POST /rules/test`` predicted for the same range, and
with what the events say (the builder knows which of them match).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from chalicelib import bootstrap
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import alert_outbox, alert_timeline, alerts, events, rule_matches
from chalicelib.topology import REPLAYS_QUEUE
from tests.builders import FixedClock, sqs_event, sqs_record
from tests.functional.alerts import Inbox
from tests.functional.helpers import JSON

REPO = Path(__file__).resolve().parents[2]
RULE_ID = "big-decline"
NEW_RULE = f"""\
id: {RULE_ID}
description: A declined payment of more than 900, written after the events were stored.
source: payments
severity: medium
group_by: [merchant]
kind: match
when: status == "declined" and amount > 900
"""
START = datetime(2026, 11, 20, tzinfo=UTC)
MERCHANTS = ("acme", "globex", "initech", "umbrella", "hooli")
CHUNK = 500


def payment_row(index: int) -> dict[str, Any]:
    """The index-th stored payment: one a second, one in seven declined, amounts 0..999."""
    at = START + timedelta(seconds=index)
    amount = (index * 37) % 1000
    data = {
        "payment_id": f"p-{index}",
        "paid_at": at.isoformat(),
        "amount": amount,
        "currency": "EUR",
        "card": f"c-{index % 97}",
        "merchant": MERCHANTS[index % len(MERCHANTS)],
        "status": "declined" if index % 7 == 0 else "captured",
    }
    return {
        "source": "payments",
        "event_id": f"p-{index}",
        "type": "payment.attempted",
        "occurred_at": at,
        "received_at": at,
        "processed_at": at,
        "data": data,
    }


def matching(count: int) -> set[str]:
    """The event ids the new rule matches among the first ``count`` payments."""
    return {f"p-{index}" for index in range(count) if index % 7 == 0 and (index * 37) % 1000 > 900}


def merchants(count: int) -> int:
    """How many merchants those matches are at: the alerts a replay of them opens."""
    return len({int(one[2:]) % len(MERCHANTS) for one in matching(count)})


def store_payments(engine: Engine, count: int) -> None:
    """``count`` payments in one executemany per 10,000 (the database's own bulk insert)."""
    with engine.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(
                events.insert(), [payment_row(i) for i in range(start, min(count, start + 10_000))]
            )


def span(count: int) -> dict[str, str]:
    return {
        "since": START.isoformat(),
        "until": (START + timedelta(seconds=count)).isoformat(),
    }


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's rules and sources, and one rule more: written after the events."""
    directory = tmp_path / "rules"
    shutil.copytree(REPO / "rules", directory)
    (directory / f"{RULE_ID}.yaml").write_text(NEW_RULE)
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(directory))
    monkeypatch.setenv("TRIPLINE_REPLAY_CHUNK_EVENTS", str(CHUNK))
    return directory


@pytest.fixture
def app_client(rules_dir: Path, client: Any) -> Any:
    return client


@pytest.fixture
def engine(app_env: dict[str, Any]) -> Iterator[Engine]:
    engine = make_engine(app_env["database_url"])
    yield engine
    engine.dispose()


def ask(client: Any, body: object) -> Any:
    return client.http.post("/replays", headers=JSON, body=json.dumps(body))


def read(client: Any, replay_id: str) -> dict[str, Any]:
    response = client.http.get(f"/replays/{replay_id}")
    assert response.status_code == 200, response.body
    found: dict[str, Any] = json.loads(response.body)
    return found


def run_chunks(client: Any, aws: dict[str, Any], limit: int | None = None) -> int:
    """Deliver the replays queue to its function, as Lambda would, one message at a time (the
    chunks it queues included); how many were delivered."""
    sqs, url = aws["clients"]["sqs"], aws["resources"].queue_urls[REPLAYS_QUEUE]
    delivered = 0
    while limit is None or delivered < limit:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages")
        if not got:
            break
        message = got[0]
        record = sqs_record(message["Body"], message_id=message["MessageId"], queue=REPLAYS_QUEUE)
        answer = client.lambda_.invoke("run_replays", sqs_event(record))
        assert answer.payload["batchItemFailures"] == []
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        delivered += 1
    return delivered


def dry_run(client: Any, count: int) -> dict[str, Any]:
    response = client.http.post(
        "/rules/test", headers=JSON, body=json.dumps({"rule_id": RULE_ID, **span(count)})
    )
    assert response.status_code == 200, response.body
    found: dict[str, Any] = json.loads(response.body)
    return found


def matched_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [
            row.event_id
            for row in conn.execute(
                select(rule_matches.c.event_id).where(rule_matches.c.rule_id == RULE_ID)
            )
        ]


def outbox(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted(
            (row.transition, row.status)
            for row in conn.execute(
                select(alert_outbox.c.transition, alert_outbox.c.status).where(
                    alert_outbox.c.rule_id == RULE_ID
                )
            )
        )


def tick(client: Any) -> None:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    client.lambda_.invoke("tick", event)


def replay_and_wait(client: Any, aws: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    response = ask(client, body)
    assert response.status_code == 202, response.body
    job = json.loads(response.body)
    assert response.headers["Location"] == f"/replays/{job['id']}"
    assert job["status"] == "queued"
    run_chunks(client, aws)
    return read(client, job["id"])


def replay_then_replay_again(
    client: Any, aws: dict[str, Any], engine: Engine, count: int, chunk: int
) -> None:
    """The done-when, at ``count`` events: the replay writes what the dry-run predicted, a
    second writes nothing, and with ``notify: false`` nobody is emailed."""
    # GIVEN stored events and a rule written after them, and on-call's inbox
    store_payments(engine, count)
    inbox = Inbox(aws)
    expected = matching(count)
    # AND what the dry-run predicts over the same range
    predicted = dry_run(client, count)
    assert predicted["matched"] == len(expected)

    # WHEN the rule is replayed over them without notifications
    body = {"rules": [RULE_ID], **span(count), "notify": False}
    job = replay_and_wait(client, aws, body)

    # THEN it completes, every event read, in chunks
    assert job["status"] == "complete", job
    assert job["progress"]["events_done"] == job["progress"]["events_total"] == count
    assert job["progress"]["percent"] == 100.0
    assert job["progress"]["chunks_done"] == -(-count // chunk)
    # AND it wrote exactly the matches the dry-run predicted
    assert job["matches_written"] == predicted["matched"]
    assert sorted(matched_ids(engine)) == sorted(expected)
    # AND opened the alerts through their lifecycle, one per merchant as the dry-run said
    with engine.connect() as conn:
        opened = conn.scalar(
            select(func.count()).select_from(alerts).where(alerts.c.rule_id == RULE_ID)
        )
    assert opened == predicted["alerts_opened"] == len(MERCHANTS)
    # AND each notice is recorded suppressed, never sent, even after the schedule's turn
    tick(client)
    assert outbox(engine) == [("opened", "suppressed")] * len(MERCHANTS)
    assert inbox.take() == []

    # WHEN the same replay runs again
    again = replay_and_wait(client, aws, body)

    # THEN it reads every event again and writes nothing new
    assert again["status"] == "complete"
    assert again["progress"]["events_done"] == count
    assert (again["matches_written"], again["notices"]) == (0, 0)
    assert len(matched_ids(engine)) == len(expected)
    assert outbox(engine) == [("opened", "suppressed")] * len(MERCHANTS)
    assert inbox.take() == []


def test_a_replay_writes_the_matches_the_dry_run_predicted_and_a_second_writes_none(
    app_client: Any, app_env: dict[str, Any], engine: Engine
) -> None:
    replay_then_replay_again(app_client, app_env, engine, 1_200, CHUNK)


@pytest.mark.slow
def test_a_replay_over_100k_stored_events_matches_the_dry_run_and_stays_quiet(
    app_client: Any, app_env: dict[str, Any], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIPLINE_REPLAY_CHUNK_EVENTS", "5000")  # the default
    bootstrap.reset()
    replay_then_replay_again(app_client, app_env, engine, 100_000, 5_000)


def test_suppressed_notices_are_on_the_alerts_timeline(
    app_client: Any, app_env: dict[str, Any], engine: Engine
) -> None:
    # GIVEN stored events, replayed without notifications
    store_payments(engine, 1_200)
    job = replay_and_wait(app_client, app_env, {"rules": [RULE_ID], **span(1_200)})
    assert job["status"] == "complete" and job["notify"] is False
    # THEN each alert's timeline says its notice was not sent, and why
    with engine.connect() as conn:
        lines = conn.execute(
            select(alert_timeline.c.kind, alert_timeline.c.detail).where(
                alert_timeline.c.kind == "suppressed"
            )
        ).all()
    assert len(lines) == merchants(1_200) == len(MERCHANTS)
    assert all(f"replay {job['id']} asked for no notifications" in line.detail for line in lines)


def test_an_alert_a_quiet_replay_opened_resolves_without_an_email(
    app_client: Any, app_env: dict[str, Any], engine: Engine
) -> None:
    # GIVEN the alerts a replay without notifications opened, and on-call's inbox
    clock = FixedClock(datetime.now(UTC))
    bootstrap.container().clock = clock
    store_payments(engine, 1_200)
    inbox = Inbox(app_env)
    replay_and_wait(app_client, app_env, {"rules": [RULE_ID], **span(1_200)})
    # WHEN no match comes for longer than the rule's quiet period and the schedule runs
    clock.advance(hours=2)
    tick(app_client)
    # THEN they resolved, and their resolve notices were recorded suppressed, not sent
    with engine.connect() as conn:
        statuses = set(conn.scalars(select(alerts.c.status).where(alerts.c.rule_id == RULE_ID)))
    assert statuses == {"resolved"}
    assert outbox(engine) == sorted(
        [("opened", "suppressed"), ("resolved", "suppressed")] * len(MERCHANTS)
    )
    assert inbox.take() == []


def test_a_replay_with_notify_sends_the_alerts_notifications(
    app_client: Any, app_env: dict[str, Any], engine: Engine
) -> None:
    # GIVEN stored events and on-call's inbox
    store_payments(engine, 1_200)
    inbox = Inbox(app_env)
    # WHEN the rule is replayed with notifications
    body = {"rules": [RULE_ID], **span(1_200), "notify": True}
    job = replay_and_wait(app_client, app_env, body)
    # THEN the alerts it opened were told (one email for the rule's alerts that opened together)
    assert job["status"] == "complete" and job["notices"] == len(MERCHANTS)
    assert {status for _, status in outbox(engine)} <= {"sent", "grouped"}
    assert len(inbox.take()) >= 1


def test_a_redelivered_chunk_writes_nothing_twice(
    app_client: Any, app_env: dict[str, Any], engine: Engine
) -> None:
    # GIVEN a replay of one chunk's events
    store_payments(engine, 300)
    response = ask(app_client, {"rules": [RULE_ID], **span(300)})
    job_id = json.loads(response.body)["id"]
    sqs, url = app_env["clients"]["sqs"], app_env["resources"].queue_urls[REPLAYS_QUEUE]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    record = sqs_record(message["Body"], message_id=message["MessageId"], queue=REPLAYS_QUEUE)
    # WHEN its message is delivered twice (SQS delivers at least once)
    for _ in range(2):
        app_client.lambda_.invoke("run_replays", sqs_event(record))
    # THEN its events and matches are counted once
    job = read(app_client, job_id)
    assert job["status"] == "complete"
    assert job["progress"]["events_done"] == 300
    assert job["matches_written"] == len(matching(300)) == len(matched_ids(engine))


def test_a_cancelled_replay_runs_no_further_chunk(
    app_client: Any, app_env: dict[str, Any], engine: Engine
) -> None:
    # GIVEN a replay of three chunks' events, its first chunk done
    store_payments(engine, 3 * CHUNK)
    response = ask(app_client, {"rules": [RULE_ID], **span(3 * CHUNK)})
    job_id = json.loads(response.body)["id"]
    assert run_chunks(app_client, app_env, limit=1) == 1
    assert read(app_client, job_id)["status"] == "running"
    # WHEN it is cancelled, twice
    for _ in range(2):
        cancelled = app_client.http.post(f"/replays/{job_id}/cancel", headers=JSON, body="{}")
        assert cancelled.status_code == 200, cancelled.body
    # AND the chunk it had queued is delivered
    run_chunks(app_client, app_env)
    # THEN it stopped after its first chunk, saying who cancelled it
    job = read(app_client, job_id)
    assert job["status"] == "cancelled"
    assert job["reason"].startswith("cancelled by ")
    assert job["progress"]["events_done"] == CHUNK
    assert job["progress"]["chunks_done"] == 1
    assert len(matched_ids(engine)) == len(matching(CHUNK))


def test_a_finished_replay_cannot_be_cancelled_and_replays_are_listed(
    app_client: Any, app_env: dict[str, Any], engine: Engine
) -> None:
    # GIVEN a replay that completed
    store_payments(engine, 10)
    job = replay_and_wait(app_client, app_env, {"rules": "all", **span(10)})
    # WHEN it is cancelled
    answer = app_client.http.post(f"/replays/{job['id']}/cancel", headers=JSON, body="{}")
    # THEN that is a conflict, naming its status
    assert answer.status_code == 409, answer.body
    assert "complete" in answer.body.decode()
    # AND the list shows it, newest first
    listed = json.loads(app_client.http.get("/replays?limit=5").body)
    assert [one["id"] for one in listed["items"]] == [job["id"]]
    # AND the audit log says who asked for it, and what
    audit = json.loads(app_client.http.get("/audit?action=replay.requested").body)["items"]
    assert [(one["target"], one["detail"]["rules"]) for one in audit] == [
        (f"replay {job['id']}", "all")
    ]


def test_all_replays_the_match_rules_and_says_why_it_skipped_the_others(
    app_client: Any, app_env: dict[str, Any]
) -> None:
    # WHEN every rule is replayed
    response = ask(app_client, {"rules": "all", **span(10)})
    # THEN the match rules are replayed, and each threshold and absence rule is listed skipped
    assert response.status_code == 202, response.body
    job = json.loads(response.body)
    replayed = {one["id"] for one in job["rules"]}
    skipped = {one["id"]: one["reason"] for one in job["skipped_rules"]}
    assert {RULE_ID, "large-payment", "large-order"} <= replayed
    assert "threshold rule is not replayed" in skipped["declined-card-burst"]
    assert "absence rule is not replayed" in skipped["store-feed-silent"]


def test_a_bad_request_names_every_problem_by_field(app_client: Any) -> None:
    # WHEN a replay names a threshold rule, an unknown rule and source, and no start
    response = ask(
        app_client,
        {
            "rules": ["declined-card-burst", "nope"],
            "sources": ["payments", "nowhere"],
            "notify": "yes",
            "colour": "red",
        },
    )
    # THEN each problem is named with its field
    assert response.status_code == 400, response.body
    details = {
        one["field"]: one["message"] for one in json.loads(response.body)["error"]["details"]
    }
    assert "threshold rule is not replayed" in details["rules[0]"]
    assert "no such rule is loaded" in details["rules[1]"]
    assert "no such source" in details["sources[1]"]
    assert details["since"].startswith("is required")
    assert details["notify"] == "must be true or false"
    assert details["colour"] == "unknown field"


def test_an_ingest_key_may_not_replay(app_client: Any, make_key: Any) -> None:
    key = make_key("ingest", ("payments",), name="feeder")
    response = app_client.http.post(
        "/replays",
        headers=JSON | {"Authorization": f"Bearer {key}"},
        body=json.dumps({"rules": "all", **span(10)}),
    )
    assert response.status_code == 403, response.body


def test_a_rule_changed_while_its_replay_waited_fails_the_replay_saying_so(
    app_client: Any, app_env: dict[str, Any], engine: Engine, rules_dir: Path
) -> None:
    # GIVEN a replay asked for, its first chunk still queued
    store_payments(engine, 100)
    job_id = json.loads(ask(app_client, {"rules": [RULE_ID], **span(100)}).body)["id"]
    # WHEN the rule is changed and deployed before the chunk runs
    (rules_dir / f"{RULE_ID}.yaml").write_text(NEW_RULE.replace("> 900", "> 800"))
    bootstrap.reset()
    run_chunks(app_client, app_env)
    # THEN the replay failed, naming the rule and its versions, and wrote nothing
    job = read(app_client, job_id)
    assert job["status"] == "failed"
    assert f"rule {RULE_ID} changed (version" in job["reason"]
    assert matched_ids(engine) == []
