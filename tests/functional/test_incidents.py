"""Pipeline incidents through the app: a failed upload opens one incident and one email, and
``POST /uploads/{id}/retry`` after the fix imports it once and resolves it with one email; a
message in a dead-letter queue opens one incident the schedule resolves once the queue is
redriven. Emails are counted as SNS published them (moto, a queue subscribed to the topic)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from chalicelib import bootstrap
from chalicelib.adapters.aws.dead_letters import SqsDeadLetters
from chalicelib.adapters.db.tables import rule_failures
from chalicelib.topology import ROWS_QUEUE, UPLOADS_QUEUE
from tests.builders import FixedClock, sqs_record
from tests.functional.alerts import Inbox
from tests.functional.uploads import drain, invoke, put, run_pipeline, upload_status

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HEADER = "order_id,ordered_at,store,sku,quantity,unit_price,currency,paid\r\n"
ROWS = "".join(
    f"W-{n},2026-11-22T08:0{n}:00Z,berlin-1,SKU-{n},2,9.99,EUR,yes\r\n" for n in range(1, 4)
)
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def rules_dir(tmp_path: Path, app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's rules/, which a test may fix."""
    directory = tmp_path / "rules"
    shutil.copytree(REPO / "rules", directory)
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(directory))
    bootstrap.reset()
    return directory


@pytest.fixture
def inbox(app_env: dict[str, Any]) -> Inbox:
    return Inbox(app_env)


def declare_warehouse(rules_dir: Path) -> None:
    """The fix: the source the file was dropped for, declared (the shop's columns)."""
    shop = (rules_dir / "sources" / "shop.yaml").read_text()
    (rules_dir / "sources" / "warehouse.yaml").write_text(
        shop.replace("source: shop", "source: warehouse")
    )
    bootstrap.reset()  # a deploy: the next cold start reads the new rules/


def tick(client: Any) -> dict[str, Any]:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    payload: dict[str, Any] = client.lambda_.invoke("tick", event).payload
    return payload


def incidents(client: Any, rule: str) -> list[dict[str, Any]]:
    response = client.http.get(f"/alerts?rule={rule}")
    assert response.status_code == 200, response.body
    items: list[dict[str, Any]] = json.loads(response.body)["items"]
    return items


def retry(client: Any, upload_id: str, key: str | None = None) -> Any:
    headers = JSON | ({"Authorization": f"Bearer {key}"} if key else {})
    return client.http.post(f"/uploads/{upload_id}/retry", headers=headers, body="{}")


def failed_upload(client: Any, app_env: dict[str, Any]) -> str:
    """A file dropped for a source nobody declared: its upload fails."""
    put(app_env, "incoming/warehouse/stock.csv", (HEADER + ROWS).encode())
    run_pipeline(client, app_env)
    [item] = json.loads(client.http.get("/uploads").body)["items"]
    assert item["status"] == "failed", item
    upload_id: str = item["upload_id"]
    return upload_id


def test_a_failed_upload_opens_one_incident_and_its_retry_after_the_fix_resolves_it(
    client: Any, app_env: dict[str, Any], rules_dir: Path, inbox: Inbox
) -> None:
    # GIVEN a file dropped for an undeclared source, imported, and the schedule's minute after
    upload_id = failed_upload(client, app_env)
    tick(client)
    # THEN one incident is open for that upload, saying what failed and why, with one email
    [incident] = incidents(client, "pipeline.upload-failed")
    assert (incident["status"], incident["kind"], incident["group"]) == (
        "open",
        "incident",
        {"upload": upload_id},
    )
    assert "no source 'warehouse'" in incident["labels"]["error"]
    assert "incoming/warehouse/stock.csv" in incident["labels"]["what"]
    emails = inbox.take()
    assert [one.subject for one in emails] == [f"[HIGH] pipeline.upload-failed: upload={upload_id}"]
    assert "POST /uploads/{id}/retry" in emails[0].body
    # WHEN the source is declared and the upload retried
    declare_warehouse(rules_dir)
    answer = retry(client, upload_id)
    # THEN the retry is queued (202) and the upload waits for its notification
    assert answer.status_code == 202, answer.body
    body = json.loads(answer.body)
    assert body["status"] == "awaiting_upload" and body["retry"]["asked_by"]
    assert answer.headers["Location"] == f"/uploads/{upload_id}"
    # AND once the pipeline has run, the upload is complete, the incident resolved, once emailed
    run_pipeline(client, app_env)
    tick(client)
    assert upload_status(client, upload_id)["status"] == "complete"
    assert upload_status(client, upload_id)["rows"]["stored"] == 3
    [resolved] = incidents(client, "pipeline.upload-failed")
    assert resolved["status"] == "resolved"
    assert resolved["resolved"]["resolution"] == "the upload was imported: complete"
    assert [one.subject for one in inbox.take()] == [
        f"[RESOLVED] pipeline.upload-failed: upload={upload_id}"
    ]
    # AND the incident's timeline says who asked for the retry
    timeline = json.loads(client.http.get(f"/alerts/{resolved['id']}").body)["timeline"]
    assert [line["kind"] for line in timeline if line["kind"] == "retry"] == ["retry"]


def test_two_retries_at_once_queue_one_import_and_the_second_says_why_not(
    client: Any, app_env: dict[str, Any], rules_dir: Path
) -> None:
    # GIVEN a failed upload
    upload_id = failed_upload(client, app_env)
    # WHEN it is retried twice before the fan-out runs
    first, second = retry(client, upload_id), retry(client, upload_id)
    # THEN the first is queued, the second is a 409 saying a retry is queued already
    assert first.status_code == 202, first.body
    assert second.status_code == 409, second.body
    error = json.loads(second.body)
    assert "a retry is queued already" in error["error"]["message"]
    # AND one notification is on the uploads queue
    assert len(drain(app_env, UPLOADS_QUEUE)) == 1


def test_an_upload_that_did_not_fail_cannot_be_retried(
    client: Any, app_env: dict[str, Any], rules_dir: Path, make_key: Any
) -> None:
    # GIVEN a complete upload of the shop source
    put(app_env, "incoming/shop/orders.csv", (HEADER + ROWS).encode())
    run_pipeline(client, app_env)
    [item] = json.loads(client.http.get("/uploads").body)["items"]
    # WHEN it is retried, an unknown upload is retried, and an ingest key retries
    complete = retry(client, item["upload_id"])
    unknown = retry(client, "f" * 32)
    ingest = retry(client, item["upload_id"], make_key("ingest", ("shop",)))
    # THEN each is refused, saying why
    assert complete.status_code == 409, complete.body
    assert (
        "it is complete: there is nothing to retry" in json.loads(complete.body)["error"]["message"]
    )
    assert unknown.status_code == 404, unknown.body
    assert ingest.status_code == 403, ingest.body
    assert drain(app_env, UPLOADS_QUEUE) == []


def test_a_dead_letter_opens_one_incident_that_resolves_once_the_queue_is_redriven(
    client: Any, app_env: dict[str, Any], rules_dir: Path, inbox: Inbox
) -> None:
    # GIVEN a message on the rows queue's dead-letter queue
    sqs = app_env["clients"]["sqs"]
    dlq = app_env["resources"].queue_urls[f"{ROWS_QUEUE}-dlq"]
    sqs.send_message(QueueUrl=dlq, MessageBody='{"not": "a chunk task"}')
    # WHEN the schedule runs twice
    tick(client)
    tick(client)
    # THEN one incident is open for that queue, with one email
    [incident] = incidents(client, "pipeline.dead-letters")
    assert incident["group"] == {"queue": f"{ROWS_QUEUE}-dlq"}
    assert incident["observed"] == 1
    assert [one.subject for one in inbox.take()] == [
        f"[HIGH] pipeline.dead-letters: queue={ROWS_QUEUE}-dlq"
    ]
    # WHEN the queue is redriven, the message processed, and the schedule runs
    report = SqsDeadLetters(sqs).redrive("rows")
    assert len(report.moved) == 1
    run_pipeline(client, app_env)
    tick(client)
    # THEN the incident resolved, with one email
    [resolved] = incidents(client, "pipeline.dead-letters")
    assert resolved["status"] == "resolved"
    assert [one.subject for one in inbox.take()] == [
        f"[RESOLVED] pipeline.dead-letters: queue={ROWS_QUEUE}-dlq"
    ]


def test_a_rule_that_keeps_failing_opens_an_incident_that_resolves_once_it_stops(
    client: Any, app_env: dict[str, Any], rules_dir: Path, inbox: Inbox
) -> None:
    # GIVEN a rule that failed on five events within the last few minutes (as the processors
    # record a rule failing on an event), and a fixed clock
    clock = FixedClock(NOW)
    bootstrap.container().clock = clock  # type: ignore[assignment]
    with bootstrap.container().engine.begin() as conn:
        conn.execute(
            insert(rule_failures),
            [
                {
                    "rule_id": "pricey-unit",
                    "rule_version": "v1",
                    "source": "payments",
                    "event_id": f"z-{n}",
                    "reason": "division by zero",
                    "failed_at": NOW - timedelta(minutes=n),
                }
                for n in range(1, 6)
            ],
        )
    # WHEN the schedule runs, twice
    tick(client)
    tick(client)
    # THEN one incident is open for the rule, naming the error and the latest event, one email
    [incident] = incidents(client, "pipeline.rule-failing")
    assert (incident["status"], incident["group"]) == ("open", {"rule": "pricey-unit"})
    assert incident["labels"]["error"] == "division by zero"
    assert incident["labels"]["where"] == "latest on event payments/z-1"
    assert [one.subject for one in inbox.take()] == [
        "[MEDIUM] pipeline.rule-failing: rule=pricey-unit"
    ]
    # WHEN a quarter of an hour passes without a failure
    clock.advance(minutes=15)
    tick(client)
    # THEN it resolved, with one email
    [resolved] = incidents(client, "pipeline.rule-failing")
    assert resolved["status"] == "resolved"
    assert [one.subject for one in inbox.take() if "pipeline." in one.subject] == [
        "[RESOLVED] pipeline.rule-failing: rule=pricey-unit"
    ]  # the repository's absence rules speak up too, a quarter of an hour on


def test_a_chunk_that_exhausts_its_retries_opens_its_incident_and_a_retry_resolves_it(
    client: Any, app_env: dict[str, Any], rules_dir: Path, inbox: Inbox
) -> None:
    # GIVEN no known error to retry by itself (this test is about the hand's retry), and a
    # shop file whose one chunk task fails on its last delivery (it reaches past the file)
    (rules_dir / "known-errors.yaml").unlink()
    bootstrap.reset()
    put(app_env, "incoming/shop/orders.csv", (HEADER + ROWS).encode())
    assert invoke(client, "fan_out_uploads", drain(app_env, UPLOADS_QUEUE)) == []
    [chunk] = drain(app_env, ROWS_QUEUE)
    task = json.loads(chunk["body"])
    broken = sqs_record(
        json.dumps(task | {"end": task["end"] + 64}), receive_count=10, queue=ROWS_QUEUE
    )
    assert invoke(client, "process_rows", [broken]) == [broken["messageId"]]
    # THEN the upload failed, and its incident says which chunk, from which line, with one email
    upload_id = task["upload_id"]
    assert upload_status(client, upload_id)["status"] == "failed"
    [incident] = incidents(client, "pipeline.chunk-exhausted")
    assert incident["labels"]["where"] == "chunk 0 (3 rows from line 2)"
    assert "dead-letter queue" in incident["labels"]["error"]
    assert [one.subject for one in inbox.take()] == [
        f"[HIGH] pipeline.chunk-exhausted: upload={upload_id}"
    ]
    # WHEN the upload is retried
    assert retry(client, upload_id).status_code == 202
    run_pipeline(client, app_env)
    # THEN its rows are stored, the incident resolved, with one email
    assert upload_status(client, upload_id)["status"] == "complete"
    [resolved] = incidents(client, "pipeline.chunk-exhausted")
    assert resolved["status"] == "resolved"
    assert [one.subject for one in inbox.take()] == [
        f"[RESOLVED] pipeline.chunk-exhausted: upload={upload_id}"
    ]
