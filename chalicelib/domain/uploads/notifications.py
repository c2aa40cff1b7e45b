"""S3 event notifications, as they arrive on the uploads queue, to the objects that landed.

S3 sends a ``s3:TestEvent`` when the notification is configured, URL-encodes keys (``+`` for a
space), and may deliver a notification more than once; all three are handled here so the fan-out
sees only created objects, each with what identifies its version.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.domain.json_values import parse_timestamp
from chalicelib.domain.uploads.model import LandedObject


class NotANotification(ValueError):
    """The message is not an S3 notification; it can never become one, however often it is read."""


def landed_objects(body: str) -> list[LandedObject]:
    """The ObjectCreated records of one message; a test event or other event names give none."""
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise NotANotification(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise NotANotification("not a JSON object")
    if message.get("Event") == "s3:TestEvent":
        return []
    records = message.get("Records")
    if not isinstance(records, list):
        raise NotANotification("no Records list: not an S3 event notification")
    return [_landed(record) for record in records if _is_object_created(record)]


def _is_object_created(record: Any) -> bool:
    return isinstance(record, dict) and str(record.get("eventName", "")).startswith(
        "ObjectCreated:"
    )


def _landed(record: dict[str, Any]) -> LandedObject:
    try:
        s3 = record["s3"]
        obj = s3["object"]
        landed_at = parse_timestamp(record["eventTime"])
        if isinstance(landed_at, str):
            raise NotANotification(f"eventTime {landed_at}")
        return LandedObject(
            bucket=str(s3["bucket"]["name"]),
            key=unquote_plus(str(obj["key"])),
            size=int(obj.get("size", 0)),
            etag=_text(obj.get("eTag")),
            version_id=_text(obj.get("versionId")),
            sequencer=_text(obj.get("sequencer")),
            landed_at=landed_at,
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, NotANotification):
            raise
        raise NotANotification(f"an ObjectCreated record without {exc}") from exc


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "", "null") else None
