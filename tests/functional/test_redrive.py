"""Redriven messages are processed idempotently: a DLQ moved back stores nothing twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from chalicelib import bootstrap
from chalicelib.adapters.aws.dead_letters import SqsDeadLetters
from chalicelib.adapters.db.tables import events, raw_events
from chalicelib.topology import EVENTS_QUEUE, ROWS_QUEUE
from tests.builders import event_item
from tests.functional.helpers import listed_ids, post_events, process, queued_records
from tests.functional.uploads import only_upload_id, put, run_pipeline, upload_status

SHOP_CSV = (
    "order_id,ordered_at,store,sku,quantity,unit_price,currency,paid\r\n"
    + "".join(
        f"A-{n},2026-11-22T08:0{n}:00Z,berlin-1,SKU-{n},2,9.99,EUR,yes\r\n" for n in (1, 2, 3)
    )
    + "A-x,bad\r\n"
)


def bury(aws: dict[str, Any], queue: str, records: list[dict[str, Any]]) -> None:
    """Put the records' bodies on ``queue``'s DLQ, as SQS does after their last failed delivery."""
    url = aws["resources"].queue_urls[f"{queue}-dlq"]
    for record in records:
        aws["clients"]["sqs"].send_message(QueueUrl=url, MessageBody=record["body"])


def stored(table: Any) -> dict[str, int]:
    """event id → how many rows of ``table`` hold it."""
    with bootstrap.container().engine.connect() as conn:
        rows = conn.execute(select(table.c.event_id, func.count()).group_by(table.c.event_id))
        return {event_id: count for event_id, count in rows}


def test_redriven_events_are_stored_once_whether_or_not_they_were_processed_before(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN four posted events, of which only the first two were processed; all four messages
    # then sit on the events DLQ (two had failed for good, two were redelivered after success)
    post_events(client, {"events": [event_item(id=f"r-{n}") for n in range(4)]})
    records = queued_records(app_env)
    assert len(records) == 4
    assert process(client, records[:2]) == []
    bury(app_env, EVENTS_QUEUE, records)
    # WHEN the DLQ is redriven and the events queue delivered to the processor
    report = SqsDeadLetters(app_env["clients"]["sqs"], wait_seconds=0).redrive("events")
    failed = process(client, queued_records(app_env))
    # THEN all four moved and were processed, and each event is stored exactly once
    assert len(report.moved) == 4 and report.failed == () and failed == []
    assert stored(events) == stored(raw_events) == {f"r-{n}": 1 for n in range(4)}
    assert sorted(listed_ids(client)) == [f"r-{n}" for n in range(4)]


def test_a_redriven_csv_chunk_changes_nothing_it_already_did(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN an imported file, whose chunk message also sits on the rows DLQ
    put(app_env, "incoming/shop/redrive.csv", SHOP_CSV.encode())
    seen = run_pipeline(client, app_env)
    upload_id = only_upload_id(client)
    before = upload_status(client, upload_id)
    bury(app_env, ROWS_QUEUE, seen["rows"])
    # WHEN the rows DLQ is redriven and the pipeline runs again
    report = SqsDeadLetters(app_env["clients"]["sqs"], wait_seconds=0).redrive("rows")
    again = run_pipeline(client, app_env)
    # THEN the chunk was delivered again, and the upload's counts and events are as they were
    assert len(report.moved) == len(seen["rows"]) == len(again["rows"]) == 1
    after = upload_status(client, upload_id)
    assert (after["status"], after["rows"]) == (before["status"], before["rows"])
    assert stored(events) == {f"A-{n}": 1 for n in (1, 2, 3)}
