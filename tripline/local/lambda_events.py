"""SQS messages reshaped into the event Lambda's SQS event source hands a function.

The processor is written and tested against Lambda's shape, not boto3's: lower-camel keys, every
attribute value a string, message attributes spelled ``stringValue``/``dataType``, binary values
in base64, one record per message with its own ``messageId``. Building it in one place keeps the
local runtime from drifting into a second, slightly different contract.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any


def sqs_lambda_event(
    messages: Sequence[Mapping[str, Any]], *, queue_arn: str, region: str
) -> dict[str, Any]:
    """The ``{"Records": [...]}`` event for messages received with all attributes."""
    return {"Records": [sqs_lambda_record(message, queue_arn, region) for message in messages]}


def sqs_lambda_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One message as a Lambda record; ``md5OfMessageAttributes`` only when it has attributes."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {name: str(value) for name, value in message.get("Attributes", {}).items()},
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return shaped
