"""The local mailbox on moto: the alerts topic's messages become .eml files on-call would get."""

from __future__ import annotations

import email.policy
import logging
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.aws.sns_topic import SnsTopic
from chalicelib.domain.alerts import OutgoingAlert
from tripline.local.mailbox import (
    MAILBOX_QUEUE,
    MailboxPump,
    mail_from_notification,
    start_mailbox,
    subscribe_mailbox,
    write_mail,
)

SUBJECT = "[high] large-payment: card c-1 paid 9000 EUR"
BODY = "Payment of 9000 € on card c-1.\n\nAcknowledge: POST http://127.0.0.1:8000/alerts/7/ack\n"


def alert(subject: str = SUBJECT) -> OutgoingAlert:
    return OutgoingAlert(
        subject,
        BODY,
        {"severity": "high", "source": "payments", "rule": "large-payment", "status": "open"},
    )


@pytest.fixture
def mailbox(aws: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The mailbox queue subscribed to the alerts topic, a topic adapter, and a pump that does
    not wait (an empty poll returns at once)."""
    sqs, sns = aws["clients"]["sqs"], aws["clients"]["sns"]
    url = subscribe_mailbox(sqs, sns, aws["resources"].topic_arn)
    return {
        "url": url,
        "topic": SnsTopic(sns, aws["resources"].topic_arn),
        "pump": MailboxPump(sqs, url, tmp_path / "mailbox", wait_seconds=0),
        "directory": tmp_path / "mailbox",
    }


def on_queue(aws: dict[str, Any], url: str) -> int:
    counts = aws["clients"]["sqs"].get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in counts.values())


def read_mail(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        parsed: EmailMessage = BytesParser(policy=email.policy.default).parse(handle)
    return parsed


def test_subscribing_twice_leaves_one_envelope_subscription(aws: dict[str, Any]) -> None:
    # GIVEN the mailbox subscribed once
    sqs, sns = aws["clients"]["sqs"], aws["clients"]["sns"]
    topic_arn = aws["resources"].topic_arn
    first = subscribe_mailbox(sqs, sns, topic_arn)
    # WHEN it is subscribed again (a second start of the runtime on the same moto)
    second = subscribe_mailbox(sqs, sns, topic_arn)
    # THEN one queue, one subscription, and it delivers envelopes rather than raw messages
    assert first == second and first.endswith(MAILBOX_QUEUE)
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert subscription["Protocol"] == "sqs"
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])[
        "Attributes"
    ]
    assert attributes.get("RawMessageDelivery", "false") == "false"
    assert (
        '"aws:SourceArn"'
        in sqs.get_queue_attributes(QueueUrl=first, AttributeNames=["Policy"])["Attributes"][
            "Policy"
        ]
    )


def test_a_published_alert_becomes_one_email_file_and_leaves_the_queue(
    aws: dict[str, Any], mailbox: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN an alert published to the topic
    message_id = mailbox["topic"].publish(alert())
    # WHEN the mailbox polls
    with caplog.at_level(logging.INFO, logger="local.mailbox"):
        delivered = mailbox["pump"].poll_once()
    # THEN exactly one .eml is in the folder, named by time, message id and subject (40 at most)
    [path] = sorted(mailbox["directory"].iterdir())
    assert delivered.written == (path,)
    assert path.name.endswith(f"-{message_id[:8]}-high-large-payment-card-c-1-paid-9000-eu.eml")
    # AND it reads back as the email on-call would get
    mail = read_mail(path)
    assert mail["From"] == "Tripline <alerts@tripline.local>"
    assert mail["To"] == "oncall@tripline.local"
    assert mail["Subject"] == SUBJECT
    assert mail["Message-ID"] == f"<{message_id}@sns.tripline.local>"
    assert mail["Date"].datetime.tzinfo is not None
    assert abs((datetime.now(UTC) - mail["Date"].datetime).total_seconds()) < 60
    assert (
        mail["X-Tripline-Severity"],
        mail["X-Tripline-Source"],
        mail["X-Tripline-Rule"],
        mail["X-Tripline-Status"],
    ) == ("high", "payments", "large-payment", "open")
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content() == BODY
    # AND the console says so in one line, and nothing is left on the queue
    [record] = [r for r in caplog.records if r.getMessage() == "mail"]
    assert (record.__dict__["subject"], record.__dict__["file"]) == (SUBJECT, str(path))
    assert on_queue(aws, mailbox["url"]) == 0


def test_a_malformed_message_is_dropped_and_logged(
    aws: dict[str, Any], mailbox: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN two messages on the mailbox queue that are not SNS notifications
    sqs = aws["clients"]["sqs"]
    sqs.send_message(QueueUrl=mailbox["url"], MessageBody="not json")
    sqs.send_message(QueueUrl=mailbox["url"], MessageBody='{"Subject": "no message id"}')
    # WHEN the mailbox polls
    with caplog.at_level(logging.WARNING, logger="local.mailbox"):
        delivered = mailbox["pump"].poll_once()
    # THEN both are deleted (they would come back forever), logged, and no file is written
    assert len(delivered.dropped) == 2 and delivered.written == ()
    assert sum("not an SNS notification" in r.getMessage() for r in caplog.records) == 2
    assert on_queue(aws, mailbox["url"]) == 0
    assert not mailbox["directory"].exists() or not any(mailbox["directory"].iterdir())


def test_a_message_whose_file_cannot_be_written_stays_on_the_queue(
    aws: dict[str, Any], mailbox: dict[str, Any], tmp_path: Path
) -> None:
    # GIVEN a mailbox folder that cannot be created (a file has its name)
    mailbox["directory"].write_text("in the way")
    mailbox["topic"].publish(alert())
    # WHEN the mailbox polls
    delivered = mailbox["pump"].poll_once()
    # THEN nothing is written or dropped, and the message waits to be delivered again
    assert (delivered.received, delivered.written, delivered.dropped) == (1, (), ())
    assert on_queue(aws, mailbox["url"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mailbox"]


def test_mail_files_sort_in_arrival_order_and_never_collide(tmp_path: Path) -> None:
    # GIVEN three notifications, two of them in the same microsecond
    def mail(message_id: str) -> EmailMessage:
        return mail_from_notification(
            {
                "Message": "x",
                "MessageId": message_id,
                "Subject": "Same!",
                "Timestamp": "2024-05-01T12:00:00.123Z",
            }
        )

    at = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    later = datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC)
    # WHEN each is written
    names = [
        write_mail(tmp_path, mail("bbbbbbbb-1"), at=at).name,
        write_mail(tmp_path, mail("aaaaaaaa-2"), at=at).name,
        write_mail(tmp_path, mail("00000000-3"), at=later).name,
    ]
    # THEN every file is kept, whole (no temporary left), and the later one sorts last
    assert names[0] == "20240501T120000.123456-bbbbbbbb-same.eml"
    assert len(set(names)) == 3 and sorted(names)[-1] == names[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_the_mailbox_thread_writes_what_is_published_and_stops_when_asked(
    aws: dict[str, Any], mailbox: dict[str, Any]
) -> None:
    # GIVEN the mailbox running on its thread
    stop = threading.Event()
    running = start_mailbox(aws["clients"]["sqs"], mailbox["url"], mailbox["directory"], stop)
    # WHEN an alert is published
    mailbox["topic"].publish(alert())
    # THEN its file appears
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not list(mailbox["directory"].glob("*.eml")):
        time.sleep(0.05)
    assert len(list(mailbox["directory"].glob("*.eml"))) == 1
    # AND stopping ends the thread
    running.stop()
    assert not running.thread.is_alive()
