"""The events-queue envelope: what the API sends, and what the processor refuses to guess at."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.domain.events import (
    EventEnvelope,
    UndecodableMessage,
    decode_envelope,
    encode_envelope,
)
from tests.builders import FixedClock, event_item

RECEIVED = FixedClock().now()


def message(**overrides: Any) -> str:
    """An encoded envelope as JSON text, with fields replaced or (with None) dropped."""
    body: dict[str, Any] = {
        "v": 1,
        "kind": "event",
        "event_id": "order-1",
        "received_at": "2026-11-22T09:00:00+00:00",
        "item": event_item(id="order-1"),
    }
    body.update(overrides)
    return json.dumps({key: value for key, value in body.items() if value is not None})


def test_round_trip_keeps_the_raw_item_the_event_id_and_the_time_of_receipt() -> None:
    # GIVEN an envelope around an item as sent, padding and all, with a generated id
    item = event_item(id=None, source=" Shop ", data={"note": "  hi  ", "city": "Zürich"})
    envelope = EventEnvelope(item=item, event_id="gen-1", received_at=RECEIVED)
    # WHEN it is encoded and decoded
    decoded = decode_envelope(encode_envelope(envelope))
    # THEN nothing changed: the item is raw, the id and time are those decided on receipt
    assert decoded == envelope
    assert decoded.item["source"] == " Shop "
    assert decoded.received_at == RECEIVED


def test_round_trip_keeps_microseconds_and_the_instant_of_an_offset_time() -> None:
    # GIVEN a receipt time with microseconds, expressed at +02:00
    received = datetime(2026, 11, 22, 11, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    envelope = EventEnvelope(item=event_item(), event_id="e", received_at=received)
    # WHEN it is encoded and decoded
    decoded = decode_envelope(encode_envelope(envelope))
    # THEN the instant is kept, in UTC
    assert decoded.received_at == received
    assert decoded.received_at.tzinfo == UTC


def test_encoded_envelope_is_compact_json_with_a_version_and_a_kind() -> None:
    # GIVEN an envelope with non-ASCII text
    envelope = EventEnvelope(item={"city": "Zürich"}, event_id="e", received_at=RECEIVED)
    # WHEN it is encoded
    body = encode_envelope(envelope)
    # THEN it is versioned JSON, with the text kept readable
    assert json.loads(body)["v"] == 1
    assert json.loads(body)["kind"] == "event"
    assert "Zürich" in body
    assert ", " not in body


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("not json", "not JSON"),
        ("", "not JSON"),
        ('{"v": 1, ', "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('"text"', "not a JSON object"),
        (message(v=2), "unknown envelope"),
        (message(v="1"), "unknown envelope"),
        (message(v=None), "unknown envelope"),
        (message(kind="upload"), "unknown envelope"),
        (message(kind=None), "unknown envelope"),
        (message(received_at=None), "received_at"),
        (message(received_at="2026-11-22T09:00:00"), "received_at has no time zone"),
        (message(received_at="soon"), "received_at is not an ISO 8601"),
        (message(event_id=None), "string event_id"),
        (message(event_id=7), "string event_id"),
        (message(item=None), "object item"),
        (message(item=[event_item()]), "object item"),
    ],
)
def test_message_that_is_not_an_envelope_raises_undecodable_with_a_reason(
    body: str, words: str
) -> None:
    # GIVEN a queue message body that is not a version-1 event envelope
    # WHEN it is decoded
    with pytest.raises(UndecodableMessage) as caught:
        decode_envelope(body)
    # THEN the error says what is wrong with it
    assert words in str(caught.value)


def test_wrong_version_names_what_was_found_and_what_was_expected() -> None:
    # GIVEN an envelope of a future version
    body = message(v=2)
    # WHEN it is decoded
    with pytest.raises(UndecodableMessage) as caught:
        decode_envelope(body)
    # THEN the reason shows both versions
    assert "v=2" in str(caught.value)
    assert "expected v=1" in str(caught.value)


def test_undecodable_message_is_a_value_error_no_retry_can_fix() -> None:
    # GIVEN a body that is not JSON
    # WHEN it is decoded
    with pytest.raises(ValueError) as caught:
        decode_envelope("{{{")
    # THEN the error is an UndecodableMessage chained to the parser's error
    assert isinstance(caught.value, UndecodableMessage)
    assert isinstance(caught.value.__cause__, ValueError)
