"""Driving the CSV path as AWS would: S3 notifications and chunk tasks delivered to their triggers.

moto delivers bucket notifications to the uploads queue; these helpers receive each queue and hand
its messages to the trigger as Lambda records (moto's own message ids), until nothing is left.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.topology import ROWS_QUEUE, UPLOADS_QUEUE
from tests.builders import sqs_event, sqs_record

JSON = {"Content-Type": "application/json"}


def drain(aws: dict[str, Any], queue: str) -> list[dict[str, Any]]:
    """Everything on ``queue``, as Lambda records, deleted from the queue."""
    sqs, url = aws["clients"]["sqs"], aws["resources"].queue_urls[queue]
    records: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        if not got.get("Messages"):
            return records
        for message in got["Messages"]:
            records.append(sqs_record(message["Body"], message_id=message["MessageId"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def invoke(client: Any, function: str, records: list[dict[str, Any]]) -> list[str]:
    """The trigger, one record at a time as its batch size allows; the ids it handed back."""
    failed: list[str] = []
    for record in records:
        answer = client.lambda_.invoke(function, sqs_event(record))
        failed.extend(item["itemIdentifier"] for item in answer.payload["batchItemFailures"])
    return failed


def run_pipeline(client: Any, aws: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Fan out every notification, then process every chunk; the records each trigger saw."""
    seen: dict[str, list[dict[str, Any]]] = {"uploads": [], "rows": []}
    while True:
        notifications = drain(aws, UPLOADS_QUEUE)
        assert invoke(client, "fan_out_uploads", notifications) == []
        chunks = drain(aws, ROWS_QUEUE)
        assert invoke(client, "process_rows", chunks) == []
        seen["uploads"] += notifications
        seen["rows"] += chunks
        if not notifications and not chunks:
            return seen


def grant(client: Any, source: str = "shop", filename: str = "orders.csv", **extra: Any) -> Any:
    body = {"source": source, "filename": filename} | extra
    return client.http.post("/uploads", headers=JSON, body=json.dumps(body))


def put(aws: dict[str, Any], key: str, body: bytes) -> None:
    aws["clients"]["s3"].put_object(Bucket=aws["resources"].bucket, Key=key, Body=body)


def upload_status(client: Any, upload_id: str) -> dict[str, Any]:
    response = client.http.get(f"/uploads/{upload_id}")
    assert response.status_code == 200, response.body
    answer: dict[str, Any] = json.loads(response.body)
    return answer


def read_object(aws: dict[str, Any], key: str) -> bytes:
    got = aws["clients"]["s3"].get_object(Bucket=aws["resources"].bucket, Key=key)
    data: bytes = got["Body"].read()
    return data


def only_upload_id(client: Any) -> str:
    listed = json.loads(client.http.get("/uploads").body)["items"]
    assert len(listed) == 1, listed
    upload_id: str = listed[0]["upload_id"]
    return upload_id
