"""Driving the app as AWS would: post over the test client, then deliver the queue to the trigger."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.topology import EVENTS_QUEUE
from tests.builders import sqs_event, sqs_record

JSON = {"Content-Type": "application/json"}


def post_events(client: Any, payload: object) -> Any:
    return client.http.post("/events", headers=JSON, body=json.dumps(payload))


def queued_records(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Receive everything on the events queue, as Lambda records with moto's unique message ids."""
    sqs, url = aws["clients"]["sqs"], aws["resources"].queue_urls[EVENTS_QUEUE]
    records: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        if not got.get("Messages"):
            return records
        for message in got["Messages"]:
            records.append(sqs_record(message["Body"], message_id=message["MessageId"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def process(client: Any, records: list[dict[str, Any]]) -> list[str]:
    """Invoke the processor in batches of ten; return the message ids it reported failed."""
    failed: list[str] = []
    for start in range(0, len(records), 10):
        answer = client.lambda_.invoke("process_events", sqs_event(*records[start : start + 10]))
        failed.extend(item["itemIdentifier"] for item in answer.payload["batchItemFailures"])
    return failed


def listed_ids(client: Any, query: str = "") -> list[str]:
    response = client.http.get(f"/events{query}")
    assert response.status_code == 200, response.body
    return [item["id"] for item in json.loads(response.body)["items"]]
