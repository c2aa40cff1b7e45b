"""Segment's tracking calls read as Tripline items: the request's calls, each call type's mapping,
its time, the reserved ``data.segment``, the write key never kept, and every problem named by the
call's own field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.rule_files.sources import load_sources
from chalicelib.domain.errors import Detail, MalformedBody, PayloadTooLarge
from chalicelib.domain.events import Event, ItemStatus, Limits, plan_intake, validate_event
from chalicelib.domain.protocols import (
    SEGMENT,
    IncomingItem,
    Refused,
    in_protocol_terms,
    segment_calls,
    tripline_item,
)
from chalicelib.domain.protocols.segment import segment_item
from chalicelib.domain.sources import TYPE_PATTERN
from tests.builders import FixedClock

RECEIVED = FixedClock().now()  # 2026-11-22T09:00:00Z
ROOT = Path(__file__).resolve().parents[2]
KEY = "tl_0123456789ab_" + "s" * 32


def call(**overrides: Any) -> dict[str, Any]:
    """A track call as segment-analytics-python sends it."""
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": "msg-1",
        "timestamp": "2026-11-22T08:30:00.000+00:00",
        "userId": "user-7",
        "anonymousId": None,
        "properties": {"amount": 12.5, "currency": "EUR"},
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
        "integrations": {},
    } | overrides


def item(one: dict[str, Any], source: str = "web") -> dict[str, Any]:
    translated = segment_item(one, source)
    assert isinstance(translated, dict), translated
    return translated


def event(one: dict[str, Any], source: str = "web") -> Event:
    outcome = validate_event(item(one, source), received_at=RECEIVED)
    assert isinstance(outcome, Event), outcome
    return outcome


def problems(one: dict[str, Any], source: str = "web") -> list[Detail]:
    """What the intake finds in the call (Segment's own checks, then Tripline's), as kept."""
    plan = plan_intake(
        [IncomingItem(one, SEGMENT, source)],
        received_at=RECEIVED,
        new_id=lambda: "generated",
        limits=Limits(),
        sources=load_sources(ROOT / "rules"),
        keep_rejected=True,
    )
    [result] = plan.decided
    assert result.status == ItemStatus.REJECTED, result
    return list(result.errors)


def fields(details: list[Detail]) -> set[str | None]:
    return {detail.field for detail in details}


# --- the calls a request carries ----------------------------------------------------------------


def test_a_batch_gives_its_calls_in_order_with_the_batch_context_merged_into_each() -> None:
    # GIVEN a batch whose context and integrations are the defaults of its calls
    body = {
        "batch": [call(context={"ip": "10.0.0.1"}), call(messageId="msg-2", context=None)],
        "context": {"ip": "192.0.2.1", "locale": "de-DE"},
        "integrations": {"All": False},
        "sentAt": "2026-11-22T08:31:00Z",
    }
    # WHEN its calls are read
    first, second = segment_calls(body, None, max_calls=10)
    # THEN a call's own context keys win over the batch's, which fill in the rest
    assert first["context"] == {"ip": "10.0.0.1", "locale": "de-DE"}
    assert second["context"] == {"ip": "192.0.2.1", "locale": "de-DE"}
    # AND the batch's integrations and sentAt reach every call
    assert first["integrations"] == second["integrations"] == {"All": False}
    assert first["sentAt"] == "2026-11-22T08:31:00Z"
    assert [first["messageId"], second["messageId"]] == ["msg-1", "msg-2"]


def test_the_write_key_is_dropped_from_the_batch_and_from_every_call() -> None:
    # GIVEN a batch as the client sends it: the key in the body and in a call too
    body = {"batch": [call(writeKey=KEY)], "writeKey": KEY, "sentAt": "2026-11-22T08:31:00Z"}
    # WHEN its calls are read and translated
    [one] = segment_calls(body, None, max_calls=10)
    translated = item(one)
    # THEN the key is nowhere, neither in the raw call nor in the item
    assert "writeKey" not in one
    assert KEY not in repr(one) and KEY not in repr(translated)


def test_a_single_call_route_reads_the_body_as_one_call_of_its_type() -> None:
    # GIVEN an identify body posted to /v1/identify, with no type of its own and a write key
    body = {"userId": "user-7", "traits": {"plan": "pro"}, "messageId": "m", "writeKey": KEY}
    # WHEN it is read for the identify route
    [one] = segment_calls(body, "identify", max_calls=10)
    # THEN it is one identify call without the key
    assert one == {"userId": "user-7", "traits": {"plan": "pro"}, "messageId": "m"} | {
        "type": "identify"
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([call()], "$"),
        ({"batch": []}, "batch"),
        ({"batch": {"type": "track"}}, "batch"),
        ({"calls": [call()]}, "batch"),
        ({"batch": [call(), "track", call()]}, "batch[1]"),
        ({"batch": [call()], "context": "web"}, "context"),
    ],
)
def test_a_request_that_carries_no_calls_is_malformed_naming_where(
    body: object, field: str
) -> None:
    # WHEN a body that is not a batch of call objects is read
    with pytest.raises(MalformedBody) as raised:
        segment_calls(body, None, max_calls=10)
    # THEN the error names the path that is wrong
    assert field in fields(list(raised.value.details))


def test_a_batch_over_the_call_limit_is_too_large() -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        segment_calls({"batch": [call()] * 3}, None, max_calls=2)
    assert fields(list(raised.value.details)) == {"batch"}


# --- each call type's mapping -------------------------------------------------------------------


def test_a_track_call_is_an_event_of_its_name_with_its_properties_as_data() -> None:
    # WHEN a track call is translated and validated
    stored = event(call())
    # THEN the message id is the event id, the event name (with its space) the type
    assert (stored.source, stored.type, stored.event_id) == ("web", "Order Completed", "msg-1")
    assert stored.occurred_at.isoformat() == "2026-11-22T08:30:00+00:00"
    # AND the properties are the data, the rest of the call under the reserved key, nulls left out
    assert stored.data["amount"] == 12.5 and stored.data["currency"] == "EUR"
    assert stored.data["segment"] == {
        "type": "track",
        "event": "Order Completed",
        "userId": "user-7",
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
        "integrations": {},
    }


@pytest.mark.parametrize(
    ("kind", "fields_of_call", "data"),
    [
        ("identify", {"traits": {"plan": "pro"}}, {"plan": "pro"}),
        ("group", {"groupId": "acme", "traits": {"seats": 5}}, {"seats": 5}),
        (
            "page",
            {"name": "Checkout", "category": "Shop", "properties": {"url": "/checkout"}},
            {"name": "Checkout", "category": "Shop", "url": "/checkout"},
        ),
        ("screen", {"name": "Cart", "properties": {}}, {"name": "Cart"}),
        ("alias", {"previousId": "anon-3"}, {"previousId": "anon-3"}),
    ],
)
def test_each_other_call_is_an_event_of_its_type_with_what_it_is_about_as_data(
    kind: str, fields_of_call: dict[str, Any], data: dict[str, Any]
) -> None:
    # GIVEN a call of that type (no event name, no properties unless it has them)
    one = call(type=kind, event=None, properties=None) | fields_of_call
    # WHEN it is translated and validated
    stored = event(one)
    # THEN its type is the call type and its data what the call is about, the rest reserved
    assert stored.type == kind
    assert {name: value for name, value in stored.data.items() if name != "segment"} == data
    assert stored.data["segment"]["userId"] == "user-7"
    assert stored.data["segment"]["type"] == kind


def test_a_page_names_its_properties_name_over_the_call_name() -> None:
    one = call(type="page", event=None, name="Home", properties={"name": "Home page"})
    assert event(one).data["name"] == "Home page"


# --- time ---------------------------------------------------------------------------------------


def test_the_time_is_the_timestamp_else_the_original_timestamp_else_the_receipt() -> None:
    both = call(originalTimestamp="2026-11-22T07:00:00Z")
    original = call(timestamp=None, originalTimestamp="2026-11-22T07:00:00Z")
    neither = call(timestamp=None)
    assert event(both).occurred_at.isoformat() == "2026-11-22T08:30:00+00:00"
    assert event(original).occurred_at.isoformat() == "2026-11-22T07:00:00+00:00"
    assert event(neither).occurred_at == RECEIVED
    # AND originalTimestamp is kept with the rest of the call
    assert event(both).data["segment"]["originalTimestamp"] == "2026-11-22T07:00:00Z"


def test_a_timestamp_far_in_the_future_is_named_by_the_field_that_gave_it() -> None:
    assert fields(problems(call(timestamp="2300-01-01T00:00:00Z"))) == {"timestamp"}
    late = call(timestamp=None, originalTimestamp="2300-01-01T00:00:00Z")
    assert fields(problems(late)) == {"originalTimestamp"}


# --- problems, named by the call's own fields ---------------------------------------------------


def test_properties_holding_the_reserved_key_are_refused_naming_properties_segment() -> None:
    # GIVEN a call whose properties already have a field called segment
    one = call(properties={"segment": "b2b"})
    # WHEN it is translated
    refused = tripline_item(IncomingItem(one, SEGMENT, "web"))
    # THEN it is refused naming properties.segment, keeping its message id for the kept copy
    assert isinstance(refused, Refused)
    assert fields(list(refused.problems)) == {"properties.segment"}
    assert refused.event_id == "msg-1"


@pytest.mark.parametrize(
    ("one", "field"),
    [
        (call(type="purchase"), "type"),
        (call(type=None), "type"),
        (call(event=None), "event"),
        (call(event=7), "event"),
        (call(event="  "), "event"),
        (call(event="x" * 200), "event"),
        (call(properties=["a"]), "properties"),
        (call(type="identify", traits="pro"), "traits"),
        (call(messageId="m" * 200), "messageId"),
        (call(timestamp="yesterday"), "timestamp"),
        (call(properties={"deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {}}}}}}}}}), None),
    ],
)
def test_every_problem_is_named_by_the_call_s_own_field(one: dict[str, Any], field: str) -> None:
    found = fields(problems(one))
    if field is None:  # too deep: named by its path inside properties
        assert any(name and name.startswith("properties.deep") for name in found), found
    else:
        assert field in found, found


def test_a_declared_number_field_is_named_by_its_path_in_properties() -> None:
    # GIVEN a track call to payments, whose amount is declared a number, with a string amount
    one = call(
        properties={"payment_id": "p-1", "paid_at": "2026-11-22T08:00:00Z"}
        | {"amount": "a lot", "card": "c", "merchant": "m", "status": "captured"}
    )
    # WHEN the intake judges it for the payments source
    found = problems(one, source="payments")
    # THEN the problem names properties.amount, not Tripline's data.amount
    assert fields(found) == {"properties.amount"}
    assert found[0].value == "a lot"


def test_a_missing_required_field_and_the_reserved_block_are_named_as_the_call_has_them() -> None:
    # GIVEN a Tripline problem at data.card (required) and one inside data.segment
    raw = call()
    named = in_protocol_terms(
        IncomingItem(raw, SEGMENT, "payments"),
        [Detail("is required", field="data.card"), Detail("too long", field="data.segment.userId")],
    )
    # THEN they name the call's properties.card and userId
    assert fields(list(named)) == {"properties.card", "userId"}


def test_a_rejected_call_is_kept_under_its_message_id_so_a_retry_is_kept_once() -> None:
    # GIVEN the same bad call in two requests (a client's retry)
    kept = []
    for _ in range(2):
        plan = plan_intake(
            [IncomingItem(call(properties={"segment": 1}), SEGMENT, "web")],
            received_at=RECEIVED,
            new_id=lambda: "generated",
            limits=Limits(),
            keep_rejected=True,
        )
        kept.extend(plan.kept)
    # THEN both kept copies carry the call's message id (the processor's key for it)
    assert [one.envelope.event_id for one in kept] == ["msg-1", "msg-1"]
    assert kept[0].envelope.source == "web" and kept[0].envelope.protocol == SEGMENT


# --- event types with spaces --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Order Completed", "a b c", "Signed Up/v2", "x", "a" * 128])
def test_an_event_type_may_have_inner_spaces(name: str) -> None:
    assert TYPE_PATTERN.fullmatch(name)


@pytest.mark.parametrize("name", [" Order", "Order ", " ", "", "a" * 129, "Order\tCompleted"])
def test_an_event_type_may_not_start_or_end_with_a_space_or_be_too_long(name: str) -> None:
    assert not TYPE_PATTERN.fullmatch(name)
