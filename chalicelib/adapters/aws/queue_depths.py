"""SqsQueueDepths: each queue's and dead-letter queue's message counts, as SQS approximates them
(``GetQueueAttributes``; the figures lag sends by up to a minute, as CloudWatch's do)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DependencyError
from chalicelib.domain.metrics import QueueDepth
from chalicelib.topology import QueueSpec

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsQueueDepths:
    def __init__(self, client: SQSClient, queues: Sequence[QueueSpec]) -> None:
        self._client = client
        self._queues = tuple(queues)
        self._urls: dict[str, str] = {}

    def depths(self) -> list[QueueDepth]:
        found = []
        for spec in self._queues:
            waiting, in_flight = self._counts(spec.name)
            dead = sum(self._counts(spec.dead_letter_queue))
            found.append(QueueDepth(spec.name, waiting, in_flight, spec.dead_letter_queue, dead))
        return found

    def _counts(self, queue: str) -> tuple[int, int]:
        try:
            if queue not in self._urls:
                self._urls[queue] = self._client.get_queue_url(QueueName=queue)["QueueUrl"]
            answer = self._client.get_queue_attributes(
                QueueUrl=self._urls[queue],
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )
        except (BotoCoreError, ClientError) as exc:
            reason = str(exc).splitlines()[0][:300]
            raise DependencyError(f"queue {queue!r} unavailable: {reason}") from exc
        attributes = answer.get("Attributes", {})
        return (
            int(attributes.get("ApproximateNumberOfMessages", "0")),
            int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
        )
