"""Pipeline incidents on `tripline local`, counted in its mailbox: a failed upload is one email
(a retry that fixes nothing adds none), a poison message in a dead-letter queue is one email, and
redriving the queue once the message can be handled is one resolve email. The schedule runs
every second here (``--schedule-every 1``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.aws.dead_letters import SqsDeadLetters
from tests.e2e.test_local_runtime import LocalRun, http, wait_until

pytestmark = pytest.mark.slow
MAIL_SECONDS = 15.0
DLQ = "tripline-rows-dlq"


def incident_subjects(run: LocalRun) -> list[str]:
    subjects = [
        str(message_from_bytes(mail.read_bytes(), policy=policy.default)["Subject"]).strip()
        for mail in run.mails()
    ]
    return [subject for subject in subjects if "pipeline." in subject]


def client(run: LocalRun, service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{run.aws_port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token="local",
    )


def ticks(run: LocalRun) -> int:
    return run.stderr.read_text().count("scheduled function ran")


def test_incidents_are_mailed_once_and_a_redriven_dlq_is_mailed_resolved_once(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    run = start_local(f"sqlite:///{tmp_path / 'incidents.db'}", None, ("--schedule-every", "1"))
    # GIVEN a file dropped for a source nobody declared
    client(run, "s3").put_object(
        Bucket="tripline-data", Key="incoming/warehouse/stock.csv", Body=b"sku,qty\nA,1\n"
    )
    # THEN its incident is mailed, once
    wait_until(lambda: len(incident_subjects(run)) == 1, MAIL_SECONDS, "mailed", run)
    [subject] = incident_subjects(run)
    assert subject.startswith("[HIGH] pipeline.upload-failed: upload=")
    # WHEN it is retried without a fix, and fails the same way again
    upload_id = subject.rsplit("=", 1)[1]
    status, answer = http("POST", f"{run.api}/uploads/{upload_id}/retry", b"{}")
    assert status == 202, answer
    wait_until(
        lambda: http("GET", f"{run.api}/uploads/{upload_id}")[1]["status"] == "failed",
        MAIL_SECONDS,
        "failed again",
        run,
    )
    # AND a message no function can handle waits in the rows queue's dead-letter queue
    sqs = client(run, "sqs")
    dlq_url = sqs.get_queue_url(QueueName=DLQ)["QueueUrl"]
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps({"not": "a chunk task"}))
    # THEN the dead letter is mailed once, and the upload's failure nothing more
    wait_until(lambda: len(incident_subjects(run)) == 2, MAIL_SECONDS, "dead letter mailed", run)
    assert incident_subjects(run)[1] == f"[HIGH] pipeline.dead-letters: queue={DLQ}"
    # WHEN the queue is redriven (the processor keeps a message that is no chunk task as a
    # rejected item, so it leaves the queue for good)
    assert len(SqsDeadLetters(sqs).redrive("rows").moved) == 1
    # THEN its incident resolves, mailed once, and the schedule runs on sending nothing more
    wait_until(lambda: len(incident_subjects(run)) == 3, MAIL_SECONDS, "resolve mailed", run)
    assert incident_subjects(run)[2] == f"[RESOLVED] pipeline.dead-letters: queue={DLQ}"
    later = ticks(run)
    wait_until(lambda: ticks(run) >= later + 3, MAIL_SECONDS, "ticking on", run)
    assert len(incident_subjects(run)) == 3
