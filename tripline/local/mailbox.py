"""The local mailbox: what on-call would receive from the alerts topic, as ``.eml`` files.

On AWS the topic has an email subscription. Locally moto sends no email, so a queue of our own is
subscribed to the topic the way an email address would be, and a pump turns each notification
into one ``.eml`` file (any mail client opens it) and one console line. The subscription is not
raw: the SNS envelope carries the subject, the message attributes, the message id and the time,
which raw delivery would drop. The queue is local-only, so its name lives here, not in
``topology``.

A message is deleted only once its file is in place (``mail_files`` writes it whole), so a crash
loses no email. A message that is no notification at all is logged and deleted: left on the
queue, it would come back forever.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tripline.local.logs import local_logger
from tripline.local.mail_files import (
    DEFAULT_TO,
    MalformedNotification,
    mail_from_notification,
    write_mail,
)
from tripline.local.pump import WAIT_SECONDS, keep_polling

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

__all__ = [
    "DEFAULT_MAILBOX_DIR",
    "MAILBOX_QUEUE",
    "MailRound",
    "Mailbox",
    "MailboxPump",
    "MalformedNotification",
    "mail_from_notification",
    "start_mailbox",
    "subscribe_mailbox",
    "write_mail",
]

log = local_logger(__name__)

MAILBOX_QUEUE = "tripline-mailbox"
DEFAULT_MAILBOX_DIR = "var/mailbox"
MAX_RECEIVE = 10
JOIN_SECONDS = WAIT_SECONDS + 5


def subscribe_mailbox(sqs: SQSClient, sns: SNSClient, *topic_arns: str) -> str:
    """The mailbox queue subscribed to each topic (envelopes, not raw): the alerts' and the
    weekly digest's, as one person's inbox gets both; its URL. Safe to run again: an existing
    subscription is kept (and set back to envelopes), never doubled.

    The subscription is looked up rather than left to ``Subscribe``'s own idempotency, which
    differs: AWS refuses a second call whose attributes differ from the first's, moto returns
    the old subscription with the new attributes written over it."""
    queue_url = str(sqs.create_queue(QueueName=MAILBOX_QUEUE)["QueueUrl"])
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"Policy": json.dumps(_topics_may_send(queue_arn, topic_arns))},
    )
    for topic_arn in topic_arns:
        existing = _subscription(sns, topic_arn, queue_arn)
        if existing is None:
            sns.subscribe(
                TopicArn=topic_arn,
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes={"RawMessageDelivery": "false"},
                ReturnSubscriptionArn=True,
            )
        else:
            sns.set_subscription_attributes(
                SubscriptionArn=existing, AttributeName="RawMessageDelivery", AttributeValue="false"
            )
    return queue_url


def _topics_may_send(queue_arn: str, topic_arns: Sequence[str]) -> dict[str, Any]:
    """The queue policy AWS requires before SNS delivers to a queue (moto does not check it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "topics-to-mailbox",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(topic_arns)}},
            }
        ],
    }


def _subscription(sns: SNSClient, topic_arn: str, queue_arn: str) -> str | None:
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for one in page.get("Subscriptions", []):
            if one.get("Protocol") == "sqs" and one.get("Endpoint") == queue_arn:
                return str(one["SubscriptionArn"])
    return None


@dataclass(frozen=True)
class MailRound:
    """What one poll did: the files written, and the ids of messages dropped as malformed.
    Messages whose file could not be written are in neither: they stay on the queue."""

    received: int = 0
    written: tuple[Path, ...] = ()
    dropped: tuple[str, ...] = ()


class MailboxPump:
    """The mailbox queue to files, one message at a time: a message is deleted only after its
    file is written, so a failed write delivers it again (after its visibility timeout)."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        directory: Path,
        *,
        to: str = DEFAULT_TO,
        wait_seconds: int = WAIT_SECONDS,
    ) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.directory = directory
        self._to = to
        self._wait = wait_seconds

    def poll_once(self) -> MailRound:
        """Receive what is waiting (long-polling ``wait_seconds``) and deliver each message."""
        answer = self._sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=MAX_RECEIVE, WaitTimeSeconds=self._wait
        )
        messages = answer.get("Messages", [])
        written: list[Path] = []
        dropped: list[str] = []
        for message in messages:
            outcome = self._deliver(message)
            if isinstance(outcome, Path):
                written.append(outcome)
            elif outcome == "dropped":
                dropped.append(str(message.get("MessageId")))
        return MailRound(len(messages), tuple(written), tuple(dropped))

    def run(self, stop: threading.Event) -> None:
        keep_polling(self.poll_once, stop, self.queue_url, "mailbox poll failed; retrying")

    def _deliver(self, message: MessageTypeDef) -> Path | Literal["dropped", "kept"]:
        """The file written, ``"dropped"`` for a malformed message, ``"kept"`` when the file could
        not be written (the message comes back after its visibility timeout)."""
        try:
            mail = mail_from_notification(json.loads(message["Body"]), self._to)
        except ValueError as exc:  # json's errors and MalformedNotification both are
            log.warning(
                "mailbox message is not an SNS notification; dropped",
                extra={"message_id": message.get("MessageId"), "error": str(exc)},
            )
            self._delete(message)
            return "dropped"
        try:
            path = write_mail(self.directory, mail)
        except OSError as exc:
            log.warning(
                "could not write a mail file; the message stays on the queue",
                extra={"directory": str(self.directory), "error": str(exc)},
            )
            return "kept"
        log.info("mail", extra={"subject": str(mail["Subject"]), "file": str(path)})
        self._delete(message)
        return path

    def _delete(self, message: MessageTypeDef) -> None:
        self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@dataclass
class Mailbox:
    """The running mailbox pump: where its files go, and how to stop it."""

    directory: Path
    stop_event: threading.Event
    thread: threading.Thread

    def stop(self) -> None:
        """Ask the loop to end and wait for the poll it may be in the middle of."""
        self.stop_event.set()
        self.thread.join(timeout=JOIN_SECONDS)


def start_mailbox(
    client: SQSClient, queue_url: str, directory: Path, stop: threading.Event
) -> Mailbox:
    """The mailbox pump on a daemon thread (its own SQS client: boto3 clients are not shared
    across the pump threads)."""
    pump = MailboxPump(client, queue_url, directory)
    thread = threading.Thread(target=pump.run, args=(stop,), name="mailbox", daemon=True)
    thread.start()
    return Mailbox(directory, stop, thread)
