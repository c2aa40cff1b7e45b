"""The event path through app.py: POST /events → SQS → process_events → GET /events, on both DBs."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import bootstrap
from tests.builders import event_item, sqs_record
from tests.functional.helpers import listed_ids, post_events, process, queued_records


def test_posted_batch_is_processed_and_readable(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN a batch of three events, one without an id
    batch = {"events": [event_item(id="a-1"), event_item(id="a-2"), event_item(id=None)]}
    # WHEN it is posted and the queue is delivered to the processor
    response = post_events(client, batch)
    failed = process(client, queued_records(app_env))
    # THEN all three are accepted, the generated id is returned, and all are readable
    assert response.status_code == 202
    body = json.loads(response.body)
    assert body["accepted"] == 3
    generated = body["results"][2]["id"]
    assert len(generated) == 32
    assert failed == []
    assert sorted(listed_ids(client)) == sorted(["a-1", "a-2", generated])


def test_same_batch_twice_stores_each_event_once(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN a batch posted twice (an integrator's retry) and each message delivered twice (SQS)
    batch = {"events": [event_item(id=f"dup-{n}") for n in range(12)]}
    post_events(client, batch)
    post_events(client, batch)
    records = queued_records(app_env)
    # WHEN everything is processed, then processed again
    process(client, records)
    process(client, [sqs_record(r["body"], message_id=r["messageId"]) for r in records])
    # THEN each event is stored once
    assert len(records) == 24
    assert sorted(listed_ids(client, "?limit=100")) == sorted(f"dup-{n}" for n in range(12))


def test_one_event_is_answered_and_stored_like_a_batch(
    client: Any, app_env: dict[str, Any]
) -> None:
    response = post_events(client, event_item(id="solo", source="CRM "))
    process(client, queued_records(app_env))
    assert json.loads(response.body)["results"] == [
        {"index": 0, "status": "accepted", "source": "crm", "id": "solo"}
    ]
    stored = json.loads(client.http.get("/events/crm/solo").body)
    assert stored["raw"]["source"] == "CRM "
    assert stored["source"] == "crm"


def test_bad_timestamp_rejects_that_item_only(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN a batch whose second item has a timestamp without a zone
    batch = {"events": [event_item(id="ok"), event_item(id="bad", occurred_at="2026-11-22 08:00")]}
    # WHEN posted
    response = post_events(client, batch)
    process(client, queued_records(app_env))
    # THEN 202, the item is rejected naming the field, and the other is stored
    body = json.loads(response.body)
    assert response.status_code == 202
    assert body["results"][1]["status"] == "rejected"
    assert body["results"][1]["errors"][0]["field"] == "occurred_at"
    assert "time zone" in body["results"][1]["errors"][0]["message"]
    assert listed_ids(client) == ["ok"]


def test_undecodable_message_is_stored_as_rejected_not_retried(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a batch with a message that is not an envelope beside a good one
    post_events(client, event_item(id="good"))
    records = [*queued_records(app_env), sqs_record("not json at all")]
    # WHEN processed
    failed = process(client, records)
    # THEN nothing is redelivered, the good event is stored, the bad one recorded with its reason
    assert failed == []
    assert listed_ids(client) == ["good"]
    from sqlalchemy import select

    from chalicelib.adapters.db.tables import rejected_items

    with bootstrap.container().engine.connect() as conn:
        rejected = conn.execute(select(rejected_items)).one()
    assert rejected.item_key == f"sqs:{records[-1]['messageId']}"
    assert "not JSON" in rejected.reason
