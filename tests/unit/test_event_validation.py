"""validate_event: what an event is, how it is normalized, and how every problem is reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import Detail
from chalicelib.domain.events import Event, Limits, validate_event
from tests.builders import FixedClock, event_item

RECEIVED = FixedClock().now()


def valid(item: object, **options: Any) -> Event:
    outcome = validate_event(item, received_at=RECEIVED, **options)
    assert isinstance(outcome, Event), outcome
    return outcome


def problems(item: object, **options: Any) -> list[Detail]:
    outcome = validate_event(item, received_at=RECEIVED, **options)
    assert isinstance(outcome, list), outcome
    return outcome


def fields(details: list[Detail]) -> set[str | None]:
    return {detail.field for detail in details}


def compact_size(item: dict[str, Any]) -> int:
    return len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode())


# --- a valid item, normalized -------------------------------------------------------------------


def test_valid_item_becomes_an_event_with_its_fields() -> None:
    # GIVEN a valid item
    item = event_item(id="order-1", type="order.created", data={"amount": 12.5})
    # WHEN it is validated
    event = valid(item)
    # THEN the event carries its fields and the time of receipt
    assert event.source == "checkout"
    assert event.type == "order.created"
    assert event.event_id == "order-1"
    assert event.occurred_at == datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
    assert event.received_at == RECEIVED
    assert event.data == {"amount": 12.5}
    assert event.key == ("checkout", "order-1")


def test_source_is_lower_cased_and_trimmed() -> None:
    # GIVEN a source with capitals and surrounding spaces
    item = event_item(source="  Shop-EU_1 ")
    # WHEN it is validated
    event = valid(item)
    # THEN the source is normalized
    assert event.source == "shop-eu_1"


def test_type_and_id_are_trimmed_but_keep_their_case() -> None:
    # GIVEN a type and an id padded with spaces
    item = event_item(type=" Order.Created ", id="  ABC-1 ")
    # WHEN it is validated
    event = valid(item)
    # THEN both are trimmed, their case unchanged
    assert (event.type, event.event_id) == ("Order.Created", "ABC-1")


def test_string_values_in_data_are_trimmed_recursively_keys_kept_as_sent() -> None:
    # GIVEN data with padded strings at every depth, in objects and lists
    data = {
        " note ": "  hi  ",
        "lines": [" a ", ["  b", {"sku ": " c "}], 3, None, True],
        "customer": {"name": "\tAda\n", "tags": [" vip "]},
    }
    # WHEN the item is validated
    event = valid(event_item(data=data))
    # THEN every string value is trimmed, keys and non-strings untouched
    assert event.data == {
        " note ": "hi",
        "lines": ["a", ["b", {"sku ": "c"}], 3, None, True],
        "customer": {"name": "Ada", "tags": ["vip"]},
    }


def test_keys_that_differ_only_by_padding_both_survive() -> None:
    # GIVEN data whose keys would collide if trimmed
    # WHEN the item is validated
    event = valid(event_item(data={" k ": 1, "k": 2}))
    # THEN neither value is lost
    assert event.data == {" k ": 1, "k": 2}


def test_occurred_at_with_an_offset_is_converted_to_utc() -> None:
    # GIVEN a timestamp at +02:00
    item = event_item(occurred_at="2026-11-22T10:15:30.250+02:00")
    # WHEN it is validated
    event = valid(item)
    # THEN it is the same instant, in UTC
    assert event.occurred_at == datetime(2026, 11, 22, 8, 15, 30, 250000, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)


def test_missing_occurred_at_defaults_to_the_time_of_receipt() -> None:
    # GIVEN an item without occurred_at
    item = event_item(occurred_at=None)
    # WHEN it is validated
    event = valid(item)
    # THEN the event happened when it was received
    assert event.occurred_at == RECEIVED


def test_missing_data_becomes_an_empty_object() -> None:
    # GIVEN an item without data
    item = event_item(data=None)
    # WHEN it is validated
    event = valid(item)
    # THEN data is empty, not missing
    assert event.data == {}


def test_integer_id_becomes_a_string() -> None:
    # GIVEN an item whose id is a JSON integer
    item = event_item(id=42)
    # WHEN it is validated
    event = valid(item)
    # THEN the id is the same digits, as a string
    assert event.event_id == "42"


def test_id_of_exactly_128_characters_is_accepted() -> None:
    # GIVEN an id at the length limit
    item = event_item(id="x" * 128)
    # WHEN it is validated
    event = valid(item)
    # THEN it is kept whole
    assert len(event.event_id) == 128


# --- assigned ids -------------------------------------------------------------------------------


def test_assigned_id_is_used_when_the_item_has_no_id() -> None:
    # GIVEN an item without an id and an id assigned on receipt
    item = event_item(id=None)
    # WHEN it is validated with that id
    event = valid(item, assigned_id="gen-7")
    # THEN the event takes the assigned id
    assert event.event_id == "gen-7"


def test_assigned_id_is_ignored_when_the_item_has_its_own_id() -> None:
    # GIVEN an item with its own id
    item = event_item(id="mine")
    # WHEN it is validated with an assigned id too
    event = valid(item, assigned_id="gen-7")
    # THEN the item's id wins
    assert event.event_id == "mine"


def test_item_without_id_and_without_assigned_id_is_rejected_naming_id() -> None:
    # GIVEN an otherwise valid item without an id, and none assigned
    item = event_item(id=None)
    # WHEN it is validated
    details = problems(item)
    # THEN the id is reported as required
    assert fields(details) == {"id"}
    assert "required" in details[0].message


def test_null_id_counts_as_no_id_and_takes_the_assigned_id() -> None:
    # GIVEN an item whose id is JSON null, as plan_intake treats "no id"
    item = event_item()
    item["id"] = None
    # WHEN it is validated with an assigned id
    outcome = validate_event(item, received_at=RECEIVED, assigned_id="gen-8")
    # THEN it takes the assigned id, like an item with no id at all
    assert isinstance(outcome, Event), outcome
    assert outcome.event_id == "gen-8"


# --- every problem at once ----------------------------------------------------------------------


def test_every_problem_of_an_item_is_reported_at_once() -> None:
    # GIVEN an item missing source, with a bad type and an unknown field
    item = event_item(source=None, type=7, colour="red")
    # WHEN it is validated
    details = problems(item)
    # THEN there are three details, one naming each field
    assert len(details) == 3
    assert fields(details) == {"source", "type", "colour"}
    by_field = {detail.field: detail.message for detail in details}
    assert by_field["source"] == "is required"
    assert "string" in by_field["type"]
    assert by_field["colour"] == "unknown field"


def test_missing_id_is_reported_together_with_other_problems() -> None:
    # GIVEN an item with neither source nor id, and no id assigned
    item = event_item(source=None, id=None)
    # WHEN it is validated
    details = problems(item)
    # THEN both problems are reported
    assert fields(details) == {"source", "id"}


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"source": None}, "source", "required"),
        ({"source": ""}, "source", "must match"),
        ({"source": "has space"}, "source", "must match"),
        ({"source": "-leading-dash"}, "source", "must match"),
        ({"source": "s" * 65}, "source", "must match"),
        ({"source": ["shop"]}, "source", "not an array"),
        ({"type": None}, "type", "required"),
        ({"type": "order created!"}, "type", "must match"),
        ({"type": "order  \tcreated"}, "type", "must match"),
        ({"type": "t" * 129}, "type", "must match"),
        ({"type": 3}, "type", "not a number"),
        ({"id": "x" * 129}, "id", "1 to 128"),
        ({"id": "   "}, "id", "1 to 128"),
        ({"id": "line\nbreak"}, "id", "printable"),
        ({"id": True}, "id", "not a boolean"),
        ({"id": 1.5}, "id", "not a number"),
        ({"id": {"n": 1}}, "id", "not an object"),
        ({"data": [1, 2]}, "data", "not an array"),
        ({"data": "text"}, "data", "not a string"),
        ({"data": 3}, "data", "not a number"),
        ({"Source": "shop"}, "Source", "unknown field"),
    ],
)
def test_each_bad_field_is_rejected_naming_the_field(
    overrides: dict[str, Any], field: str, words: str
) -> None:
    # GIVEN an item with one bad field
    item = event_item(**overrides)
    # WHEN it is validated
    details = problems(item)
    # THEN a detail names that field and says what is wrong
    named = [detail for detail in details if detail.field == field]
    assert named, details
    assert words in named[0].message


def test_bool_id_is_refused_even_though_json_booleans_are_python_ints() -> None:
    # GIVEN an item whose id is true
    item = event_item(id=True)
    # WHEN it is validated
    details = problems(item)
    # THEN it is refused, not turned into "True" or "1"
    assert fields(details) == {"id"}


def test_rejected_value_is_echoed_in_the_detail() -> None:
    # GIVEN an item with a bad source
    item = event_item(source="Not Valid!")
    # WHEN it is validated
    details = problems(item)
    # THEN the detail carries the value as sent
    assert details[0].value == "Not Valid!"


# --- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("occurred_at", "words"),
    [
        ("2026-11-22T08:30:00", "no time zone"),
        ("2026-11-22", "no time zone"),
        ("22/11/2026 08:30", "not an ISO 8601 timestamp"),
        ("yesterday", "not an ISO 8601 timestamp"),
        ("", "not an ISO 8601 timestamp"),
        (1795300000, "must be an ISO 8601 string, not a number"),
        ("2026-11-23T09:00:01Z", "more than a day in the future"),
        ("2027-01-01T00:00:00Z", "more than a day in the future"),
        ("1969-12-31T23:59:59Z", "before 1970"),
        ("1970-01-01T01:00:00+02:00", "before 1970"),
    ],
)
def test_bad_occurred_at_is_rejected_naming_the_field(occurred_at: object, words: str) -> None:
    # GIVEN an item with a bad timestamp
    item = event_item(occurred_at=occurred_at)
    # WHEN it is validated
    details = problems(item)
    # THEN the one detail names occurred_at, says why and echoes the value
    assert fields(details) == {"occurred_at"}
    assert words in details[0].message
    assert details[0].value == occurred_at


def test_naive_timestamp_is_rejected_naming_the_field() -> None:
    # GIVEN a timestamp without a zone
    item = event_item(occurred_at="2026-11-22T08:30:00")
    # WHEN it is validated
    details = problems(item)
    # THEN the answer names occurred_at and says how to fix it
    assert details == [
        Detail(
            "has no time zone; add Z or an offset such as +02:00",
            field="occurred_at",
            value="2026-11-22T08:30:00",
        )
    ]


@pytest.mark.parametrize(
    "occurred_at",
    ["2026-11-23T09:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00-01:00"],
)
def test_timestamps_on_the_edges_of_the_accepted_range_are_accepted(occurred_at: str) -> None:
    # GIVEN a timestamp exactly one day ahead, or at (or just after) the 1970 epoch
    item = event_item(occurred_at=occurred_at)
    # WHEN it is validated
    event = valid(item)
    # THEN it is kept
    assert event.occurred_at.tzinfo == UTC


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00+02:00", "9999-12-31T23:00:00-02:00"])
def test_timestamp_at_the_edge_of_the_calendar_is_rejected_not_crashing(occurred_at: str) -> None:
    # GIVEN a timestamp that cannot be expressed in UTC
    item = event_item(occurred_at=occurred_at)
    # WHEN it is validated
    details = problems(item)
    # THEN it is an ordinary rejection naming occurred_at
    assert fields(details) == {"occurred_at"}


# --- shape and size -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ([event_item()], "not an array"),
        ("shop", "not a string"),
        (7, "not a number"),
        (None, "not null"),
        (True, "not a boolean"),
    ],
)
def test_item_that_is_not_an_object_is_rejected(item: object, words: str) -> None:
    # GIVEN an item that is not a JSON object
    # WHEN it is validated
    details = problems(item, assigned_id="gen-1")
    # THEN one detail says an event must be an object and what it got instead
    assert len(details) == 1
    assert "must be a JSON object" in details[0].message
    assert words in details[0].message


def test_item_over_max_event_bytes_is_rejected_naming_its_size_and_the_limit() -> None:
    # GIVEN a limit of 200 bytes and an item well over it
    limits = Limits(max_event_bytes=200)
    item = event_item(data={"blob": "x" * 500})
    # WHEN it is validated
    details = problems(item, limits=limits)
    # THEN the one detail names the item's compact-JSON size and the limit
    assert len(details) == 1
    assert details[0].message == f"event is {compact_size(item)} bytes; the limit is 200"


def test_item_exactly_at_max_event_bytes_is_accepted() -> None:
    # GIVEN an item whose compact JSON is exactly the limit
    item = event_item(data={"blob": "x"})
    limits = Limits(max_event_bytes=compact_size(item))
    # WHEN it is validated
    event = valid(item, limits=limits)
    # THEN it passes
    assert event.data == {"blob": "x"}


def test_event_size_is_counted_in_utf8_bytes_not_characters() -> None:
    # GIVEN an item of multi-byte characters that fits in characters but not in bytes
    item = event_item(data={"note": "é" * 100})
    characters = len(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
    limits = Limits(max_event_bytes=characters + 50)
    # WHEN it is validated
    details = problems(item, limits=limits)
    # THEN it is over the limit
    assert "bytes; the limit is" in details[0].message


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_number_in_data_is_rejected(number: float) -> None:
    # GIVEN an item (as a queue message could carry it) with a non-finite number in data
    item = event_item(data={"amount": number})
    # WHEN it is validated
    details = problems(item)
    # THEN it is refused, naming data
    assert any((detail.field or "").startswith("data") for detail in details)


# --- limits on the shape of data -----------------------------------------------------------------

SMALL = Limits(max_fields=5, max_depth=3, max_string_chars=10)


def test_data_within_every_shape_limit_is_accepted() -> None:
    data = {"a": {"b": {"c": "0123456789"}}, "d": [1, 2]}
    assert valid(event_item(data=data), limits=SMALL).data == data


def test_too_deep_data_is_refused_at_the_level_that_passes_the_limit() -> None:
    found = problems(event_item(data={"a": {"b": {"c": {"d": 1}}}}), limits=SMALL)
    assert [(one.field, one.message) for one in found] == [
        ("data.a.b.c", "nests deeper than 3 levels")
    ]


def test_too_many_fields_nested_ones_included_are_counted_and_refused() -> None:
    found = problems(event_item(data={"a": 1, "b": 2, "c": {"d": 3, "e": 4, "f": 5}}), limits=SMALL)
    assert [(one.field, one.message) for one in found] == [("data", "has 6 fields; the limit is 5")]


def test_a_long_string_and_a_long_name_are_each_named_by_path() -> None:
    found = problems(
        event_item(data={"note": "x" * 11, "list": ["ok", "y" * 12], "n" * 129: 1}), limits=SMALL
    )
    assert [(one.field, one.message) for one in found] == [
        ("data", "a field name is longer than 128 characters"),
        ("data.note", "is 11 characters; the limit is 10"),
        ("data.list[1]", "is 12 characters; the limit is 10"),
    ]


def test_a_hostile_shape_reports_ten_problems_not_thousands() -> None:
    found = problems(
        event_item(data={f"k{n}": "x" * 11 for n in range(3000)}),
        limits=Limits(max_event_bytes=10**6, max_fields=5000, max_string_chars=10),
    )
    assert len(found) == 10
