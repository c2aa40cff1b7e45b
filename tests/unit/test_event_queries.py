"""GET /events parameters: filters, limit and cursor, with every bad parameter reported at once."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.events import Cursor, EventQuery, EventView, parse_event_query

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def parse(params: dict[str, str]) -> EventQuery:
    return parse_event_query(params, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)


def refusal(params: dict[str, str]) -> list[Detail]:
    with pytest.raises(InvalidQuery) as caught:
        parse(params)
    return caught.value.details


def opaque(value: object) -> str:
    """A cursor-looking token around any JSON value."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# --- accepted queries ---------------------------------------------------------------------------


def test_no_parameters_gives_the_default_query() -> None:
    # GIVEN no parameters
    # WHEN they are parsed
    query = parse({})
    # THEN there is no filter, no cursor and the default limit
    assert query == EventQuery(limit=DEFAULT_LIMIT)
    assert (query.source, query.type, query.since, query.until, query.after) == (None,) * 5


def test_every_parameter_is_parsed() -> None:
    # GIVEN one of each parameter, the source padded and in capitals
    cursor = Cursor(datetime(2026, 11, 22, 8, 0, tzinfo=UTC), 41)
    params = {
        "source": " Shop ",
        "type": "Order.Created",
        "since": "2026-11-22T10:00:00+02:00",
        "until": "2026-11-23T00:00:00Z",
        "limit": "20",
        "cursor": cursor.encode(),
    }
    # WHEN they are parsed
    query = parse(params)
    # THEN each is normalized: source lower case, times in UTC, limit a number, cursor decoded
    assert query == EventQuery(
        source="shop",
        type="Order.Created",
        since=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
        until=datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
        limit=20,
        after=cursor,
    )


@pytest.mark.parametrize("limit", ["1", "500", "007"])
def test_limit_from_one_to_the_maximum_is_accepted(limit: str) -> None:
    # GIVEN a limit inside the range
    # WHEN it is parsed
    query = parse({"limit": limit})
    # THEN it is taken as a number
    assert query.limit == int(limit)


def test_empty_cursor_means_the_first_page() -> None:
    # GIVEN cursor= with no value
    # WHEN it is parsed
    query = parse({"cursor": ""})
    # THEN there is no cursor
    assert query.after is None


# --- refused queries ----------------------------------------------------------------------------


def test_unknown_parameter_is_refused_naming_it_and_listing_the_known_ones() -> None:
    # GIVEN a parameter the API does not have
    # WHEN it is parsed
    details = refusal({"page": "2"})
    # THEN the detail names it and lists what is accepted
    assert [detail.field for detail in details] == ["page"]
    assert "source, type, since, until, limit, cursor" in details[0].message


@pytest.mark.parametrize("limit", ["0", "501", "ten", "-1", "1.5", "", " 5", "1e2"])
def test_limit_outside_one_to_the_maximum_or_not_a_number_is_refused(limit: str) -> None:
    # GIVEN a bad limit
    # WHEN it is parsed
    details = refusal({"limit": limit})
    # THEN the detail names limit, says the range and echoes the value
    assert details == [Detail("must be a whole number from 1 to 500", field="limit", value=limit)]


def test_limit_of_superscript_digits_is_refused_as_an_invalid_query() -> None:
    # GIVEN a limit made of a character Python calls a digit but int() does not read
    # WHEN it is parsed
    details = refusal({"limit": "²"})
    # THEN it is an ordinary refusal naming limit
    assert [detail.field for detail in details] == ["limit"]


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2026-11-22T09:00:00Z", "2026-11-22T09:00:00Z"),
        ("2026-11-22T10:00:00Z", "2026-11-22T09:00:00Z"),
        ("2026-11-22T10:00:00+01:00", "2026-11-22T09:00:00Z"),
    ],
)
def test_since_not_before_until_is_refused(since: str, until: str) -> None:
    # GIVEN a window that is empty or backwards (compared as instants)
    # WHEN it is parsed
    details = refusal({"since": since, "until": until})
    # THEN since is named
    assert details == [Detail("must be before 'until'", field="since")]


def test_since_one_microsecond_before_until_is_accepted() -> None:
    # GIVEN the smallest possible window
    # WHEN it is parsed
    query = parse({"since": "2026-11-22T09:00:00Z", "until": "2026-11-22T09:00:00.000001Z"})
    # THEN it is taken
    assert query.until is not None and query.since is not None
    assert query.until - query.since == timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("since", "2026-11-22T09:00:00", "no time zone"),
        ("until", "yesterday", "not an ISO 8601 timestamp"),
        ("since", "", "not an ISO 8601 timestamp"),
        ("source", "Bad Source!", "must match"),
        ("type", "has space!", "must match"),
    ],
)
def test_bad_filter_is_refused_naming_the_parameter(name: str, value: str, words: str) -> None:
    # GIVEN one bad filter
    # WHEN it is parsed
    details = refusal({name: value})
    # THEN the detail names the parameter, says why and echoes the value
    assert [(detail.field, detail.value) for detail in details] == [(name, value)]
    assert words in details[0].message


@pytest.mark.parametrize(
    "params",
    [
        {"since": "0001-01-01T00:00:00+02:00"},
        {"cursor": opaque(["0001-01-01T00:00:00+02:00", 1])},
    ],
)
def test_time_that_cannot_be_expressed_in_utc_is_refused_as_an_invalid_query(
    params: dict[str, str],
) -> None:
    # GIVEN a since or cursor time whose UTC form is outside the calendar
    # WHEN it is parsed
    details = refusal(params)
    # THEN it is an ordinary refusal naming the parameter
    assert [detail.field for detail in details] == list(params)


# --- cursors ------------------------------------------------------------------------------------


def test_cursor_round_trips_through_its_opaque_text() -> None:
    # GIVEN the last row of a page, at an offset time with microseconds
    last = Cursor(datetime(2026, 11, 22, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=2))), 9001)
    # WHEN it is encoded and read back from a query
    text = last.encode()
    query = parse({"cursor": text})
    # THEN the same position comes back, and the text is URL-safe without padding
    assert query.after == last
    assert query.after is not None and query.after.row_id == 9001
    assert "=" not in text and "+" not in text and "/" not in text


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "a",
        opaque({"occurred_at": "2026-11-22T08:00:00Z", "row_id": 1}),
        opaque(["2026-11-22T08:00:00Z", "1"]),
        opaque(["2026-11-22T08:00:00", 1]),
        opaque(["not a time", 1]),
        opaque(["2026-11-22T08:00:00Z", 1, 2]),
        opaque(7),
        opaque(None),
    ],
)
def test_garbage_cursor_raises_invalid_query_naming_cursor(cursor: str) -> None:
    # GIVEN a cursor this API did not hand out
    # WHEN it is decoded
    with pytest.raises(InvalidQuery) as caught:
        Cursor.decode(cursor)
    # THEN the refusal names the cursor and echoes it
    assert [(detail.field, detail.value) for detail in caught.value.details] == [("cursor", cursor)]
    assert caught.value.details[0].message == "is not a cursor this API returned"


# --- all at once --------------------------------------------------------------------------------


def test_all_problems_are_reported_together() -> None:
    # GIVEN five bad parameters at once
    params = {
        "page": "2",
        "source": "Bad Source!",
        "since": "yesterday",
        "limit": "0",
        "cursor": "garbage",
    }
    # WHEN they are parsed
    details = refusal(params)
    # THEN one refusal names each of them
    assert sorted(detail.field or "" for detail in details) == [
        "cursor",
        "limit",
        "page",
        "since",
        "source",
    ]


def test_the_refusal_is_an_invalid_query_with_its_stable_code() -> None:
    # GIVEN a bad limit
    # WHEN it is parsed
    with pytest.raises(InvalidQuery) as caught:
        parse({"limit": "0"})
    # THEN the error's code is the one integrators match on
    assert caught.value.code == "invalid_query"
    assert "limit: must be a whole number" in str(caught.value)


# --- views --------------------------------------------------------------------------------------


def test_event_view_serializes_times_as_iso_and_adds_raw_only_when_present() -> None:
    # GIVEN a stored event as a reader sees it
    at = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
    view = EventView("shop", "o-1", "order.created", at, at, at, {"amount": 12.5})
    # WHEN it is serialized, with and without the raw item
    plain = view.as_dict()
    with_raw = replace(view, raw={"source": " Shop "}).as_dict()
    # THEN the fields use the API's names; raw appears only when asked for
    assert plain == {
        "source": "shop",
        "id": "o-1",
        "type": "order.created",
        "occurred_at": "2026-11-22T08:30:00+00:00",
        "received_at": "2026-11-22T08:30:00+00:00",
        "processed_at": "2026-11-22T08:30:00+00:00",
        "data": {"amount": 12.5},
    }
    assert with_raw == plain | {"raw": {"source": " Shop "}}
