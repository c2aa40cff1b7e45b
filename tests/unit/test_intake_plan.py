"""The intake plan: a POSTed payload to per-item decisions, and the final answer once queued."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.errors import MalformedBody, PayloadTooLarge
from chalicelib.domain.events import ItemStatus, Limits, extract_items, plan_intake, settle
from chalicelib.domain.events.intake import IntakePlan
from tests.builders import FixedClock, event_item

RECEIVED = FixedClock().now()
LIMITS = Limits()


class IdSource:
    """Generated ids in order, remembering how many were handed out."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.handed_out: list[str] = []

    def __call__(self) -> str:
        new = f"gen-{next(self._numbers)}"
        self.handed_out.append(new)
        return new


def plan(items: list[Any], new_id: Callable[[], str] | None = None) -> IntakePlan:
    return plan_intake(items, received_at=RECEIVED, new_id=new_id or IdSource(), limits=LIMITS)


# --- the payload's shape ------------------------------------------------------------------------


def test_a_single_object_is_one_item() -> None:
    # GIVEN a payload that is one event
    payload = event_item()
    # WHEN its items are extracted
    items = extract_items(payload, LIMITS)
    # THEN it is the only item
    assert items == [payload]


def test_a_batch_gives_its_items_in_order() -> None:
    # GIVEN a batch of three events
    batch = [event_item(id="a"), event_item(id="b"), event_item(id="c")]
    # WHEN its items are extracted
    items = extract_items({"events": batch}, LIMITS)
    # THEN they come in the order sent
    assert [item["id"] for item in items] == ["a", "b", "c"]


def test_a_batch_at_the_limit_is_taken() -> None:
    # GIVEN a limit of 3 and a batch of 3
    limits = Limits(max_batch_events=3)
    # WHEN its items are extracted
    items = extract_items({"events": [event_item() for _ in range(3)]}, limits)
    # THEN all three are there
    assert len(items) == 3


def test_a_batch_over_the_limit_raises_payload_too_large_naming_the_limit() -> None:
    # GIVEN a limit of 3 and a batch of 4
    limits = Limits(max_batch_events=3)
    payload = {"events": [event_item() for _ in range(4)]}
    # WHEN its items are extracted
    with pytest.raises(PayloadTooLarge) as caught:
        extract_items(payload, limits)
    # THEN the error names the count, the limit and the field
    assert "4 events" in caught.value.message
    assert "limit is 3" in caught.value.message
    assert [detail.field for detail in caught.value.details] == ["events"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"events": []}, ["events"]),
        ({"events": "not a list"}, ["events"]),
        ({"events": {"source": "checkout"}}, ["events"]),
        ({"events": None}, ["events"]),
        ({"events": [event_item()], "source": "checkout", "meta": 1}, ["meta", "source"]),
        ([event_item()], ["$"]),
        ("text", ["$"]),
        (None, ["$"]),
        (42, ["$"]),
    ],
)
def test_a_payload_of_the_wrong_shape_raises_malformed_body_naming_the_field(
    payload: object, fields: list[str]
) -> None:
    # GIVEN a payload that is neither one event nor {"events": [...]}
    # WHEN its items are extracted
    with pytest.raises(MalformedBody) as caught:
        extract_items(payload, LIMITS)
    # THEN the error names where the shape is wrong
    assert [detail.field for detail in caught.value.details] == fields
    assert caught.value.code == "malformed_body"


# --- decisions per item -------------------------------------------------------------------------


def test_valid_items_are_admitted_with_an_envelope_carrying_the_raw_item() -> None:
    # GIVEN two valid items, one with padding that normalization will remove
    items = [event_item(id="a", source=" Checkout "), event_item(id="b")]
    # WHEN the intake is planned
    result = plan(items)
    # THEN both are admitted in order; each envelope holds the item as sent
    assert [admission.index for admission in result.admissions] == [0, 1]
    first = result.admissions[0]
    assert first.event.key == ("checkout", "a")
    assert first.envelope.item is items[0]
    assert first.envelope.event_id == "a"
    assert first.envelope.received_at == RECEIVED
    assert result.decided == []


def test_invalid_items_are_rejected_with_their_reasons() -> None:
    # GIVEN a valid item and one without a source
    items = [event_item(id="a"), event_item(id="b", source=None)]
    # WHEN the intake is planned
    result = plan(items)
    # THEN the bad one is rejected at its index, saying why
    assert [(one.index, one.status) for one in result.decided] == [(1, ItemStatus.REJECTED)]
    assert [error.field for error in result.decided[0].errors] == ["source"]
    assert [admission.index for admission in result.admissions] == [0]


def test_duplicate_inside_one_request_is_marked_naming_the_earlier_index() -> None:
    # GIVEN a batch where items 1 and 3 repeat item 0's key (after normalization)
    items = [
        event_item(id="order-1"),
        event_item(id="order-1", source="CHECKOUT"),
        event_item(id="order-2"),
        event_item(id=" order-1 "),
    ]
    # WHEN the intake is planned
    result = plan(items)
    # THEN only the first of each key is admitted; the repeats name item 0
    assert [admission.index for admission in result.admissions] == [0, 2]
    assert [(one.index, one.status) for one in result.decided] == [
        (1, ItemStatus.DUPLICATE),
        (3, ItemStatus.DUPLICATE),
    ]
    for duplicate in result.decided:
        assert (duplicate.source, duplicate.event_id) == ("checkout", "order-1")
        assert duplicate.errors[0].field == "id"
        assert "repeats item 0" in duplicate.errors[0].message


def test_integer_and_string_ids_with_the_same_digits_are_the_same_event() -> None:
    # GIVEN the same event sent with id 7 and id "7"
    items = [event_item(id=7), event_item(id="7")]
    # WHEN the intake is planned
    result = plan(items)
    # THEN the second is a duplicate of the first
    assert [one.status for one in result.decided] == [ItemStatus.DUPLICATE]


def test_same_id_from_different_sources_is_not_a_duplicate() -> None:
    # GIVEN one id used by two sources
    items = [event_item(id="x", source="checkout"), event_item(id="x", source="billing")]
    # WHEN the intake is planned
    result = plan(items)
    # THEN both are admitted
    assert len(result.admissions) == 2


def test_generated_ids_come_from_new_id_only_for_items_without_an_id() -> None:
    # GIVEN a batch mixing items with and without ids
    new_id = IdSource()
    items = [event_item(id="own-1"), event_item(id=None), event_item(id=0), event_item(id=None)]
    # WHEN the intake is planned
    result = plan(items, new_id)
    # THEN two ids were generated and given, in order, to the items without one
    assert new_id.handed_out == ["gen-1", "gen-2"]
    assert [admission.event.event_id for admission in result.admissions] == [
        "own-1",
        "gen-1",
        "0",
        "gen-2",
    ]
    assert result.admissions[1].envelope.event_id == "gen-1"
    assert "id" not in result.admissions[1].envelope.item


def test_item_with_a_null_id_is_admitted_with_a_generated_id() -> None:
    # GIVEN an item whose id is JSON null
    item = event_item()
    item["id"] = None
    new_id = IdSource()
    # WHEN the intake is planned
    result = plan([item], new_id)
    # THEN it is admitted under the one id generated for it
    assert new_id.handed_out == ["gen-1"]
    assert [admission.event.event_id for admission in result.admissions] == ["gen-1"]


def test_item_results_serialize_to_the_documented_shape() -> None:
    # GIVEN a rejected item and a duplicate
    result = plan([event_item(id="a"), event_item(id="a"), event_item(id="b", type=None)])
    # WHEN their answers are serialized
    shown = [one.as_dict() for one in result.decided]
    # THEN each has index and status; a decided event also has source and id; problems are listed
    assert shown == [
        {
            "index": 1,
            "status": "duplicate",
            "source": "checkout",
            "id": "a",
            "errors": [{"message": "repeats item 0 of this request", "field": "id"}],
        },
        {"index": 2, "status": "rejected", "errors": [{"message": "is required", "field": "type"}]},
    ]


# --- settling once the queue has answered -------------------------------------------------------


def test_settle_accepts_what_the_queue_holds_and_keeps_the_order_of_items() -> None:
    # GIVEN a plan of a rejected item between two admitted ones
    result = plan([event_item(id="a"), event_item(source=None), event_item(id="c")])
    # WHEN the queue held both admissions
    results = settle(result, queued={0, 2}, failures={})
    # THEN the answers come by index: accepted, rejected, accepted
    assert [(one.index, one.status) for one in results] == [
        (0, ItemStatus.ACCEPTED),
        (1, ItemStatus.REJECTED),
        (2, ItemStatus.ACCEPTED),
    ]
    assert (results[2].source, results[2].event_id) == ("checkout", "c")


def test_settle_reports_not_queued_with_the_queue_reason() -> None:
    # GIVEN a plan of three admissions
    result = plan([event_item(id="a"), event_item(id="b"), event_item(id="c")])
    # WHEN the queue held one, refused one with a reason, and said nothing about the third
    results = settle(result, queued={0}, failures={1: "throttled by SQS"})
    # THEN the refused and unconfirmed items are not_queued, each saying why and to send again
    assert [one.status for one in results] == [
        ItemStatus.ACCEPTED,
        ItemStatus.NOT_QUEUED,
        ItemStatus.NOT_QUEUED,
    ]
    assert results[1].errors[0].message == "throttled by SQS; send again"
    assert results[2].errors[0].message == "the queue did not confirm it; send again"
    assert (results[1].source, results[1].event_id) == ("checkout", "b")


def test_settle_orders_results_by_index_whatever_order_decisions_were_made_in() -> None:
    # GIVEN a plan whose decided items come after and between admissions
    result = plan(
        [event_item(id="a"), event_item(id="a"), event_item(id="b"), event_item(type=None)]
    )
    # WHEN it is settled
    results = settle(result, queued={0, 2}, failures={})
    # THEN indexes run 0..3
    assert [one.index for one in results] == [0, 1, 2, 3]
