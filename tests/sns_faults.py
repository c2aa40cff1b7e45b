"""Fault injection at the AWS boundary: SNS answering ``Publish`` with one of its own errors.

moto takes any subject without a control character, so a refusal is injected where AWS would
make it: a handler on the client's ``before-call`` event answers in SNS's place with SNS's error
(code and HTTP status), the client raises the ``ClientError`` AWS would cause, and our adapter
translates it as it would in production. botocore's ``Stubber`` answers the same way; it is not
used because the publishes a test lets through must still reach moto.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

EVENT = "before-call.sns.Publish"


@dataclass
class SnsRefusal:
    """Answers the ``Publish`` calls ``applies`` picks with ``code`` at HTTP ``status``; ``seen``
    holds the subject of every publish the client made (refused or not)."""

    code: str = "InvalidParameter"
    message: str = "Invalid parameter: Subject"
    status: int = 400
    applies: Callable[[str], bool] = lambda _subject: True
    seen: list[str] = field(default_factory=list)

    def install(self, client: Any) -> SnsRefusal:
        client.meta.events.register(EVENT, self._answer, unique_id=f"sns-refusal-{id(self)}")
        return self

    def _answer(
        self, params: Mapping[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        subject = str(params["body"].get("Subject", ""))
        self.seen.append(subject)
        if not self.applies(subject):
            return None
        error = {"Type": "Sender", "Code": self.code, "Message": self.message}
        return AWSResponse(None, self.status, {}, None), {  # type: ignore[arg-type]
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": self.status},
        }
