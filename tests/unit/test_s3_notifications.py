"""landed_objects: S3 event notifications, as they arrive on the uploads queue, to landed objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.uploads import LandedObject, NotANotification, landed_objects


def s3_record(
    key: str = "incoming/shop/orders.csv", event: str = "ObjectCreated:Put", **object_fields: Any
) -> dict[str, Any]:
    """One record as S3 sends it for a versioned bucket (AWS's documented example, trimmed)."""
    obj = {
        "key": key,
        "size": 1024,
        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
        "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
        "sequencer": "0055AED6DCD90281E5",
    }
    obj.update(object_fields)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T08:30:00.123Z",
        "eventName": event,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "csv-uploads",
            "bucket": {
                "name": "tripline-uploads",
                "arn": "arn:aws:s3:::tripline-uploads",
                "ownerIdentity": {"principalId": "A3NL1KOZZKEXAMPLE"},
            },
            "object": {name: value for name, value in obj.items() if value is not None},
        },
    }


def message(*records: dict[str, Any]) -> str:
    return json.dumps({"Records": list(records)})


def test_an_object_created_record_becomes_a_landed_object_with_its_version() -> None:
    # GIVEN S3's notification of a Put in a versioned bucket
    body = message(s3_record())
    # WHEN it is read
    landed = landed_objects(body)
    # THEN it is the object, its version, sequencer and etag, landed at the event time in UTC
    assert landed == [
        LandedObject(
            bucket="tripline-uploads",
            key="incoming/shop/orders.csv",
            size=1024,
            etag="d41d8cd98f00b204e9800998ecf8427e",
            version_id="096fKKXTRTtl3on89fVO.nfljtsv6qko",
            sequencer="0055AED6DCD90281E5",
            landed_at=datetime(2026, 11, 22, 8, 30, 0, 123000, tzinfo=UTC),
        )
    ]


def test_moto_s3_notification_with_only_an_etag_is_read() -> None:
    # GIVEN a record as moto sends it: no versionId, no sequencer
    record = s3_record(versionId=None, sequencer=None, eTag="9b2cf535f27731c974343645a3985328")
    # WHEN it is read
    [landed] = landed_objects(message(record))
    # THEN the etag is what identifies this write
    assert (landed.version_id, landed.sequencer) == (None, None)
    assert landed.identity == "9b2cf535f27731c974343645a3985328"


@pytest.mark.parametrize(
    "encoded, key",
    [
        ("incoming/shop/my+orders.csv", "incoming/shop/my orders.csv"),
        ("incoming/shop/a%2Bb.csv", "incoming/shop/a+b.csv"),
        ("incoming/shop/caf%C3%A9+%282%29.csv", "incoming/shop/café (2).csv"),
    ],
)
def test_url_encoded_keys_are_decoded(encoded: str, key: str) -> None:
    # GIVEN a key as S3 encodes it ("+" for a space, "%2B" for a plus)
    # WHEN the record is read
    [landed] = landed_objects(message(s3_record(encoded)))
    # THEN the key is the object's real key
    assert landed.key == key


def test_the_test_event_s3_sends_on_configuration_gives_no_object() -> None:
    # GIVEN the s3:TestEvent S3 sends when the notification is configured
    body = json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": "2026-11-22T08:00:00.000Z",
            "Bucket": "tripline-uploads",
            "RequestId": "5582815E1AEA5ADF",
            "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3",
        }
    )
    # WHEN it is read
    # THEN there is nothing to import
    assert landed_objects(body) == []


def test_only_created_objects_are_returned() -> None:
    # GIVEN a removal and a copy in one message
    body = message(
        s3_record("incoming/shop/old.csv", "ObjectRemoved:Delete"),
        s3_record("incoming/shop/new.csv", "ObjectCreated:Copy"),
    )
    # WHEN it is read
    # THEN only the created object is returned
    assert [landed.key for landed in landed_objects(body)] == ["incoming/shop/new.csv"]


@pytest.mark.parametrize(
    "body, reason",
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"Type": "Notification", "Message": "{}"}', "no Records list"),
        ('{"Records": "all of them"}', "no Records list"),
    ],
    ids=["not_json", "a_list", "an_sns_envelope", "records_not_a_list"],
)
def test_a_message_that_is_not_a_notification_says_why(body: str, reason: str) -> None:
    # GIVEN a message that is no S3 notification
    # WHEN it is read
    with pytest.raises(NotANotification) as raised:
        landed_objects(body)
    # THEN the error says why
    assert str(raised.value).startswith(reason)


def test_an_object_created_record_without_its_object_says_what_is_missing() -> None:
    # GIVEN an ObjectCreated record with no s3 part
    record = s3_record()
    del record["s3"]
    # WHEN it is read
    with pytest.raises(NotANotification) as raised:
        landed_objects(message(record))
    # THEN the error names the missing part
    assert str(raised.value) == "an ObjectCreated record without 's3'"


def test_an_object_created_record_with_a_bad_event_time_is_not_a_notification() -> None:
    # GIVEN an ObjectCreated record whose eventTime is no timestamp
    record = s3_record() | {"eventTime": "yesterday"}
    # WHEN it is read
    with pytest.raises(NotANotification) as raised:
        landed_objects(message(record))
    # THEN the error names eventTime
    assert str(raised.value).startswith("eventTime is not an ISO 8601 timestamp")
