"""Pipeline incidents under at-least-once delivery: every message twice, S3 notifications
duplicated, all shuffled, and still one incident and one email per failure, one resolve email
per recovery. A failing upload opens its incident; declaring its source and
``POST /uploads/{id}/retry`` import it and resolve it. A poison message in a dead-letter queue
opens one incident; redriving the queue once its cause is gone resolves it."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from chalicelib.adapters.aws.dead_letters import SqsDeadLetters
from chalicelib.adapters.db.tables import alerts, events
from chalicelib.topology import EVENTS_QUEUE, QUEUES
from tests.faults.harness import (
    EVENTS,
    ROWS,
    UPLOADS,
    RefusingEvents,
    Tripline,
    deliver_chaotically,
    deliver_in_order,
)
from tests.faults.workload import EVENT_ITEMS, payment
from tests.functional.alerts import Inbox

REPO = Path(__file__).resolve().parents[2]
HEADER = "order_id,ordered_at,store,sku,quantity,unit_price,currency,paid\r\n"
STOCK = HEADER + "".join(
    f"W-{n},2026-11-22T08:0{n}:00Z,berlin-1,SKU-{n},2,9.99,EUR,yes\r\n" for n in range(1, 6)
)
POISON = payment("pay-poison", 45, 99, "c-7", "acme")
EVENTS_SPEC = next(spec for spec in QUEUES if spec.name == EVENTS_QUEUE)
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's rules/, which a test may fix (``Tripline.use`` reads it)."""
    directory = tmp_path / "rules"
    shutil.copytree(REPO / "rules", directory)
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(directory))
    return directory


@pytest.fixture
def inbox(app_env: dict[str, Any]) -> Inbox:
    return Inbox(app_env)


def incident_emails(inbox: Inbox) -> list[str]:
    """The pipeline incidents' emails since the last look (the rules' own are not counted)."""
    return [subject for subject in inbox.subjects() if "pipeline." in subject]


def incidents(tripline: Tripline) -> list[tuple[str, str, Any]]:
    with tripline.engine.connect() as conn:
        rows = conn.execute(
            select(alerts.c.rule_id, alerts.c.status, alerts.c.group_values)
            .where(alerts.c.kind == "incident")
            .order_by(alerts.c.id)
        )
        return [(row.rule_id, row.status, row.group_values[0][1]) for row in rows]


def test_a_failing_upload_opens_one_incident_and_its_retry_resolves_it_once(
    tripline: Tripline,
    database_url: str,
    rules_dir: Path,
    inbox: Inbox,
) -> None:
    # GIVEN a file dropped for a source nobody declared, every message delivered twice, its
    # notification duplicated, all shuffled, and the schedule's minute run twice
    rng = random.Random(19)
    tripline.use(database_url)
    tripline.put("incoming/warehouse/stock.csv", STOCK.encode())
    deliver_chaotically(tripline, rng, UPLOADS, ROWS)
    tripline.tick()
    tripline.tick()
    # THEN one incident is open for the upload, and on-call got one email
    [(rule_id, status, upload_id)] = incidents(tripline)
    assert (rule_id, status) == ("pipeline.upload-failed", "open")
    assert incident_emails(inbox) == [f"[HIGH] pipeline.upload-failed: upload={upload_id}"]
    # WHEN the source is declared (a deploy: a cold start reads it) and the upload retried,
    # twice, its notification again duplicated and shuffled
    shop = (rules_dir / "sources" / "shop.yaml").read_text()
    (rules_dir / "sources" / "warehouse.yaml").write_text(
        shop.replace("source: shop", "source: warehouse")
    )
    tripline.use(database_url)
    path = f"/uploads/{upload_id}/retry"
    answers = [tripline.client.http.post(path, headers=JSON, body="{}") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [202, 409]
    deliver_chaotically(tripline, rng, UPLOADS, ROWS)
    tripline.tick()
    tripline.tick()
    # THEN the file's rows are stored once, the incident resolved, and one resolve email went
    with tripline.engine.connect() as conn:
        stored = conn.execute(select(events.c.event_id).where(events.c.source == "warehouse"))
        assert sorted(row.event_id for row in stored) == [f"W-{n}" for n in range(1, 6)]
    assert incidents(tripline) == [("pipeline.upload-failed", "resolved", upload_id)]
    assert incident_emails(inbox) == [f"[RESOLVED] pipeline.upload-failed: upload={upload_id}"]
    status = json.loads(tripline.client.http.get(f"/uploads/{upload_id}").body)["status"]
    assert status == "complete"


def test_a_poison_message_in_a_dlq_opens_one_incident_that_resolves_when_redriven(
    tripline: Tripline, database_url: str, inbox: Inbox
) -> None:
    # GIVEN a payment the database refuses every time, delivered past the redrive policy, so
    # the queue moved it to its dead-letter queue
    tripline.use(database_url)
    tripline.post([*EVENT_ITEMS[:3], POISON])
    pump = tripline.pump(EVENTS)
    with RefusingEvents(tripline.engine, {POISON["id"]}):
        for _ in range(EVENTS_SPEC.max_receive_count + 1):
            pump.poll_once()
    assert tripline.visible(EVENTS_SPEC.dead_letter_queue) == 1
    # WHEN the schedule's minute runs, twice
    tripline.tick()
    tripline.tick()
    # THEN one incident is open for the dead-letter queue, with one email
    dlq = EVENTS_SPEC.dead_letter_queue
    assert incidents(tripline) == [("pipeline.dead-letters", "open", dlq)]
    assert incident_emails(inbox) == [f"[HIGH] pipeline.dead-letters: queue={dlq}"]
    # WHEN the cause is gone (the database takes the payment), the queue is redriven and
    # delivered, twice over, and the schedule runs
    moved = SqsDeadLetters(tripline.sqs).redrive("events")
    assert len(moved.moved) == 1
    deliver_chaotically(tripline, random.Random(7), EVENTS)
    tripline.tick()
    tripline.tick()
    # THEN the payment is stored, the incident resolved, and one resolve email went
    with tripline.engine.connect() as conn:
        assert conn.scalar(select(events.c.event_id).where(events.c.event_id == "pay-poison"))
    assert incidents(tripline) == [("pipeline.dead-letters", "resolved", dlq)]
    assert incident_emails(inbox) == [f"[RESOLVED] pipeline.dead-letters: queue={dlq}"]
    # AND a later look at the empty queue changes nothing
    tripline.tick()
    assert incident_emails(inbox) == []
    assert deliver_in_order(tripline, EVENTS) == []
