"""Reading what on-call was sent: an SQS queue subscribed to the alerts topic, as moto delivers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    attributes: dict[str, str]


class Inbox:
    """Everything the alerts topic published since the last look, in order."""

    def __init__(self, aws: dict[str, Any]) -> None:
        self._sqs, self._sns = aws["clients"]["sqs"], aws["clients"]["sns"]
        self.topic_arn: str = aws["resources"].topic_arn
        self._url = self._sqs.create_queue(QueueName="test-inbox")["QueueUrl"]
        self._arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.subscribe()

    def subscribe(self) -> None:
        self._sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=self._arn)

    def take(self) -> list[Email]:
        found: list[Email] = []
        while True:
            got = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return found
            for message in got["Messages"]:
                envelope = json.loads(message["Body"])
                attributes = {
                    name: value["Value"]
                    for name, value in envelope.get("MessageAttributes", {}).items()
                }
                found.append(Email(envelope.get("Subject", ""), envelope["Message"], attributes))
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def subjects(self) -> list[str]:
        return [one.subject for one in self.take()]

    def outage(self) -> None:
        """SNS stops taking messages for the topic (it is gone), until :meth:`recover`."""
        self._sns.delete_topic(TopicArn=self.topic_arn)

    def recover(self) -> None:
        assert self._sns.create_topic(Name=self.topic_arn.rsplit(":", 1)[1])["TopicArn"] == (
            self.topic_arn
        )
        self.subscribe()
