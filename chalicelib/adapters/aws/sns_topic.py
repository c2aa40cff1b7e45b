"""SnsTopic: the alerts topic (or the weekly digests'), published to once per call.

It retries nothing beyond botocore's standard mode: a notification that did not go out stays in
the outbox, which retries it with its own backoff and records each attempt, so a retry loop here
would only hold a notifier (and its lease) longer. A missing topic ARN is an outage too, not a
configuration error at startup: the processor must keep storing events and queuing notices while
the topic is being set up, and the outbox sends them once it is.

SNS's errors are told apart by what a retry can do. A parameter of this message that SNS refuses
(``InvalidParameter``, ``ParameterValueInvalid``, ``ValidationException``: a subject or body it
will not take) is a ``MessageRefused``: the same message fails the same way forever. Everything
else is a ``DependencyError``, an outage to wait out: throttling, 5xx, no connection, and also the
4xx answers about the topic rather than the message (``NotFound``, ``AuthorizationError``, the
KMS key's), which an operator fixes and after which every waiting message goes out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.alerts import OutgoingAlert
from chalicelib.domain.errors import DependencyError, Detail, MessageRefused

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

REFUSALS = frozenset(
    {"InvalidParameter", "ParameterValueInvalid", "InvalidParameterValue", "ValidationException"}
)


class SnsTopic:
    def __init__(
        self,
        client: SNSClient,
        topic_arn: str | None,
        *,
        name: str = "alerts",
        setting: str = "TRIPLINE_ALERTS_TOPIC_ARN",
    ) -> None:
        """``name`` and ``setting`` say which topic this is (the alerts' or the digests') and
        which variable sets ``topic_arn``, for the errors that say what to do."""
        self._client = client
        self._topic_arn = topic_arn
        self._name, self._setting = name, setting

    def publish(self, message: OutgoingAlert) -> str:
        """Publish once; the message id SNS gave it. Attributes become String message
        attributes (what subscription filter policies select on); empty ones are left out
        because SNS refuses an empty value and would refuse the whole message."""
        topic_arn = self._require_topic()
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in message.attributes.items()
            if value
        }
        try:
            answer = self._client.publish(
                TopicArn=topic_arn,
                Subject=message.subject,
                Message=message.body,
                MessageAttributes=attributes,
            )
        except (BotoCoreError, ClientError) as exc:
            if isinstance(exc, ClientError) and _code(exc) in REFUSALS:
                raise MessageRefused(
                    f"{self._name} topic {topic_arn} refused the message: {_reason(exc)}",
                    [Detail(_reason(exc))],
                ) from exc
            raise DependencyError(
                f"{self._name} topic {topic_arn} did not take the message: {_reason(exc)}"
            ) from exc
        return str(answer["MessageId"])

    def ping(self) -> None:
        """``DependencyError`` unless the topic exists and answers (for a health check)."""
        topic_arn = self._require_topic()
        try:
            self._client.get_topic_attributes(TopicArn=topic_arn)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyError(
                f"{self._name} topic {topic_arn} unavailable: {_reason(exc)}"
            ) from exc

    def _require_topic(self) -> str:
        if not self._topic_arn:
            raise DependencyError(
                f"no {self._name} topic configured: set {self._setting}",
                [Detail("not set", field=self._setting)],
            )
        return self._topic_arn


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: BotoCoreError | ClientError) -> str:
    """``NotFound: Topic does not exist`` for an AWS answer; the first line of anything else."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, text = error.get("Code", "Unknown"), error.get("Message", "")
        return f"{code}: {text}"[:300] if text else str(code)
    return str(exc).splitlines()[0][:300]
