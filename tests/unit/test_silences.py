"""Silences as specifications: the POST body read in any time zone with every problem listed, what
a silence matches, its weekly windows across midnight and across the clock changes, its state, and
the GET parameters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.errors import Detail, InvalidQuery, RequestError
from chalicelib.domain.silences import (
    Matchers,
    Silence,
    SilenceTarget,
    WeeklyRecurrence,
    parse_silence,
    parse_silence_query,
    silencing,
)
from chalicelib.domain.silences.parsing import SilenceQuery

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
RULES = ("declined-card-burst", "large-order", "large-payment")
SOURCES = ("logins", "payments", "shop")
BERLIN = ZoneInfo("Europe/Berlin")
ACME = SilenceTarget(
    "large-payment",
    "payments",
    {"team": "payments", "tier": "gold"},
    (("merchant", "acme"), ("store", 7)),
)


def body(**overrides: Any) -> dict[str, Any]:
    """A valid body: large-payment for an hour from now, unless overridden (None drops a key)."""
    given = {
        "matchers": {"rule": "large-payment"},
        "ends_at": "2026-12-04T10:00:00Z",
        "comment": "database upgrade",
        "author": "alice",
    } | overrides
    return {key: value for key, value in given.items() if value is not None}


def parse(payload: object, now: datetime = NOW) -> Silence:
    return parse_silence(payload, now=now, new_id="s-1", known_rules=RULES, known_sources=SOURCES)


def refusal(payload: object, now: datetime = NOW) -> list[Detail]:
    with pytest.raises(RequestError) as caught:
        parse(payload, now)
    assert caught.value.message == "invalid silence"
    return caught.value.details


def problems(payload: object, now: datetime = NOW) -> dict[str | None, str]:
    """Each refused field with its message (one problem per field in these tests)."""
    found = refusal(payload, now)
    assert len({one.field for one in found}) == len(found), found
    return {one.field: one.message for one in found}


def silence(**changes: Any) -> Silence:
    base = Silence(
        "s-1",
        Matchers(rules=("large-payment",)),
        NOW,
        NOW + timedelta(hours=8),
        "UTC",
        None,
        "database upgrade",
        "alice",
        NOW - timedelta(minutes=5),
    )
    return replace(base, **changes)


def weekly(days: tuple[int, ...], start: str, end: str) -> WeeklyRecurrence:
    return WeeklyRecurrence(days, time.fromisoformat(start), time.fromisoformat(end))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- reading a body -------------------------------------------------------------------------------


def test_a_full_body_reads_local_times_in_its_time_zone_and_offsets_exactly() -> None:
    # GIVEN a Berlin silence starting with an offset and ending in Berlin wall-clock time
    payload = {
        "matchers": {
            "rule": ["large-payment", "large-order"],
            "source": "payments",
            "labels": {"team": "payments"},
            "group": {"merchant": ["acme", "zenith"]},
        },
        "starts_at": "2026-12-05T22:00:00+01:00",
        "ends_at": "2026-12-06T06:00:00",
        "timezone": "Europe/Berlin",
        "recurrence": {"weekly": {"days": ["sun", "sat"], "from": "22:00", "to": "06:00"}},
        "comment": " database upgrade ",
        "author": "alice",
    }
    # WHEN it is parsed
    parsed = parse(payload)
    # THEN both times are exact instants in UTC, and every value is kept as given, trimmed
    assert parsed == Silence(
        id="s-1",
        matchers=Matchers(
            ("large-payment", "large-order"),
            ("payments",),
            {"team": ("payments",)},
            {"merchant": ("acme", "zenith")},
        ),
        starts_at=utc("2026-12-05T21:00:00"),
        ends_at=utc("2026-12-06T05:00:00"),
        timezone="Europe/Berlin",
        recurrence=weekly((5, 6), "22:00", "06:00"),
        comment="database upgrade",
        author="alice",
        created_at=NOW,
        expired_at=None,
    )


def test_a_silence_starts_now_and_reads_times_in_utc_unless_told_otherwise() -> None:
    # GIVEN no starts_at and no time zone, and an end without an offset
    # WHEN the body is parsed
    parsed = parse(body(ends_at="2026-12-04T11:30:00"))
    # THEN it starts now, and its end is read as UTC
    assert (parsed.starts_at, parsed.ends_at, parsed.timezone) == (
        NOW,
        utc("2026-12-04T11:30:00"),
        "UTC",
    )
    assert parsed.recurrence is None


def test_rule_and_source_names_are_read_like_their_definitions() -> None:
    # GIVEN names in capitals, padded, and repeated
    parsed = parse(body(matchers={"rule": [" Large-Payment", "large-payment"], "source": "SHOP"}))
    # THEN they are lower case, trimmed and listed once
    assert (parsed.matchers.rules, parsed.matchers.sources) == (("large-payment",), ("shop",))


def test_group_values_may_be_written_as_json_scalars_and_match_as_text() -> None:
    # GIVEN group values written as numbers, a boolean and null
    parsed = parse(
        body(matchers={"group": {"store": [7, 7.0, "8", 2.5], "vip": True, "region": None}})
    )
    # THEN each becomes the text an alert's JSON value is compared with
    assert parsed.matchers.group == {
        "store": ("7", "8", "2.5"),
        "vip": ("true",),
        "region": ("null",),
    }


def test_recurrence_days_take_short_and_full_names_in_any_case() -> None:
    recurrence = {"weekly": {"days": ["Saturday", "MON", " wed "], "from": "9:30", "to": "17:00"}}
    parsed = parse(body(ends_at="2026-12-31T00:00:00Z", recurrence=recurrence))
    assert parsed.recurrence == weekly((0, 2, 5), "09:30", "17:00")


def test_a_single_day_may_be_written_without_a_list() -> None:
    recurrence = {"weekly": {"days": "fri", "from": "22:00", "to": "02:00"}}
    assert parse(body(recurrence=recurrence, ends_at="2026-12-31T00:00:00Z")).recurrence == (
        weekly((4,), "22:00", "02:00")
    )


# --- refusing a body: every problem, each with its field ------------------------------------------


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert [one.message for one in refusal(["large-payment"])] == [
        "must be a JSON object, not an array"
    ]


def test_unknown_keys_are_named_wherever_they_are() -> None:
    # GIVEN stray keys at the top, in the matchers and in the recurrence
    payload = body(
        until="tomorrow",
        matchers={"rule": "large-payment", "severity": "high"},
        ends_at="2026-12-31T00:00:00Z",
        recurrence={
            "weekly": {"days": ["sat"], "from": "22:00", "to": "06:00", "every": 2},
            "daily": {},
        },
    )
    # WHEN it is parsed THEN each is named by its path
    found = problems(payload)
    assert set(found) == {
        "until",
        "matchers.severity",
        "recurrence.daily",
        "recurrence.weekly.every",
    }
    assert found["matchers.severity"] == "unknown key; expected one of rule, source, labels, group"


@pytest.mark.parametrize("matchers", [{}, {"labels": {}, "group": {}}, None])
def test_a_silence_of_everything_must_be_asked_for_explicitly(matchers: Any) -> None:
    found = problems(body(matchers=matchers))
    assert list(found) == ["matchers"]
    assert "at least one rule, source, label or group value" in found["matchers"]
    assert "explicitly by listing every rule" in found["matchers"]


def test_unknown_rules_and_sources_are_refused_with_a_suggestion() -> None:
    # GIVEN a misspelt rule second in a list, and a misspelt source
    found = refusal(body(matchers={"rule": ["large-order", "large-paymnt"], "source": "paymnets"}))
    # THEN each names where it is and what was probably meant
    assert found == [
        Detail(
            "no rule is called this; did you mean 'large-payment'?",
            field="matchers.rule[1]",
            value="large-paymnt",
        ),
        Detail(
            "no source is called this; did you mean 'payments'?",
            field="matchers.source",
            value="paymnets",
        ),
    ]


def test_a_name_like_nothing_known_lists_what_is_known() -> None:
    [found] = refusal(body(matchers={"source": "zzzzzz"}))
    assert found.message == "no source is called this; known: logins, payments, shop"


def test_bad_matcher_values_are_refused_where_they_are() -> None:
    payload = body(
        matchers={
            "rule": [],
            "source": ["payments", 3],
            "labels": {"team": " ", "tier": ["x" * 201], " ": "x", "region": None},
            "group": {"merchant": ["acme"] * 101, "store": {"id": 1}},
        }
    )
    found = problems(payload)
    assert found == {
        "matchers.rule": "must list 1 to 100 values",
        "matchers.source[1]": "must be a string or a list of strings, not a number",
        "matchers.labels.team": "must be 1 to 200 characters, not blank",
        "matchers.labels.tier[0]": "must be 1 to 200 characters, not blank",
        "matchers.labels. ": "a name must be 1 to 200 characters, not blank",
        "matchers.labels.region": "must be a string or a list of strings, not null",
        "matchers.group.merchant": "must list 1 to 100 values",
        "matchers.group.store": "must be a string or a list of strings (or JSON scalars), "
        "not an object",
    }


def test_labels_and_group_must_be_objects() -> None:
    found = problems(body(matchers={"rule": "large-payment", "labels": ["team"], "group": "acme"}))
    assert found == {
        "matchers.labels": "must be a JSON object of names and values, not an array",
        "matchers.group": "must be a JSON object of names and values, not a string",
    }


def test_times_must_be_iso_8601_and_the_end_is_required() -> None:
    found = problems(body(starts_at="tomorrow", ends_at=None))
    assert found["starts_at"].startswith("must be an ISO 8601 time (e.g. 2026-12-05T22:00:00")
    assert found["ends_at"].startswith("is required")
    assert problems(body(ends_at=1765000000))["ends_at"].startswith("must be an ISO 8601 time")


def test_an_unknown_time_zone_is_refused_with_a_suggestion() -> None:
    found = refusal(body(timezone="europe/berlin", ends_at="2026-12-04T12:00:00"))
    assert found == [
        Detail(
            "is not an IANA time zone name; did you mean 'Europe/Berlin'?",
            field="timezone",
            value="europe/berlin",
        )
    ]
    assert problems(body(timezone=5))["timezone"] == (
        "must be an IANA time zone name such as Europe/Berlin"
    )


def test_the_end_must_follow_the_start_and_now() -> None:
    # GIVEN an end before its start, which is also in the past
    found = refusal(body(starts_at="2026-12-04T08:00:00Z", ends_at="2026-12-04T07:00:00Z"))
    # THEN both are said, under the one field
    assert found == [
        Detail("must be after starts_at", field="ends_at"),
        Detail("is in the past; a silence must end after now", field="ends_at"),
    ]
    # AND an end exactly now is already past
    assert [
        one.message
        for one in refusal(body(starts_at="2026-12-04T08:00:00Z", ends_at="2026-12-04T09:00:00Z"))
    ] == ["is in the past; a silence must end after now"]


def test_a_silence_lasts_at_most_366_days() -> None:
    assert parse(body(ends_at="2027-12-05T09:00:00Z")).ends_at == utc("2027-12-05T09:00:00")
    [found] = refusal(body(ends_at="2027-12-05T09:00:01Z"))
    assert (found.field, found.message) == (
        "ends_at",
        "makes the silence 366 days long; at most 366 are allowed",
    )


def test_a_local_time_the_clocks_skip_is_refused_with_the_offsets_to_choose_from() -> None:
    # GIVEN 02:30 on the night Berlin's clocks jump from 02:00 to 03:00
    found = refusal(
        body(
            timezone="Europe/Berlin", starts_at="2026-03-29T02:30:00", ends_at="2026-03-29T06:00:00"
        ),
        now=utc("2026-03-28T12:00:00"),
    )
    # THEN it is refused and both offsets are offered
    assert found == [
        Detail(
            "does not exist in Europe/Berlin (the clocks skip it); add an offset "
            "(+01:00 before the change, +02:00 after) or pick another time",
            field="starts_at",
            value="2026-03-29T02:30:00",
        )
    ]


def test_a_local_time_the_clocks_show_twice_is_refused_until_an_offset_says_which() -> None:
    # GIVEN 02:30 on the night Berlin's clocks go back from 03:00 to 02:00
    fold = body(timezone="Europe/Berlin", ends_at="2026-10-25T02:30:00")
    found = refusal(fold, now=utc("2026-10-24T12:00:00"))
    assert found == [
        Detail(
            "happens twice in Europe/Berlin (the clocks go back); add the offset "
            "you mean: +02:00 for the first time, +01:00 for the second",
            field="ends_at",
            value="2026-10-25T02:30:00",
        )
    ]
    # WHEN the offset is given THEN each is the instant asked for
    first = parse(fold | {"ends_at": "2026-10-25T02:30:00+02:00"}, now=utc("2026-10-24T12:00:00"))
    second = parse(fold | {"ends_at": "2026-10-25T02:30:00+01:00"}, now=utc("2026-10-24T12:00:00"))
    assert (first.ends_at, second.ends_at) == (
        utc("2026-10-25T00:30:00"),
        utc("2026-10-25T01:30:00"),
    )


def test_bad_recurrences_are_refused_where_they_are() -> None:
    long_enough = {"ends_at": "2026-12-31T00:00:00Z"}
    found = problems(
        body(
            **long_enough,
            recurrence={
                "weekly": {"days": ["sat", "funday", "Saturday", 6], "from": "24:00", "to": "6pm"}
            },
        )
    )
    assert found == {
        "recurrence.weekly.days[1]": "is not a day; use mon, tue, wed, thu, fri, sat, sun",
        "recurrence.weekly.days[2]": "is listed twice",
        "recurrence.weekly.days[3]": "is not a day; use mon, tue, wed, thu, fri, sat, sun",
        "recurrence.weekly.from": "must be a 24-hour time HH:MM (e.g. 22:00), in 'timezone'",
        "recurrence.weekly.to": "must be a 24-hour time HH:MM (e.g. 22:00), in 'timezone'",
    }
    missing = problems(body(**long_enough, recurrence={"weekly": {"days": []}}))
    assert missing == {
        "recurrence.weekly.days": "must list one or more of mon, tue, wed, thu, fri, sat, sun",
        "recurrence.weekly.from": "is required (e.g. 22:00), in 'timezone'",
        "recurrence.weekly.to": "is required (e.g. 22:00), in 'timezone'",
    }


def test_a_recurrence_must_be_a_weekly_window_of_some_length() -> None:
    same = body(
        ends_at="2026-12-31T00:00:00Z",
        recurrence={"weekly": {"days": ["sat"], "from": "22:00", "to": "22:00"}},
    )
    assert problems(same) == {
        "recurrence.weekly.to": "must differ from 'from' (an earlier 'to' runs past midnight)"
    }
    assert list(problems(body(recurrence="weekends"))) == ["recurrence"]
    assert list(problems(body(recurrence={}))) == ["recurrence.weekly"]


def test_a_recurrence_that_never_falls_in_the_silence_is_refused() -> None:
    # GIVEN a silence from Friday 09:00 to 10:00 that only silences on Saturdays
    payload = body(recurrence={"weekly": {"days": ["sat"], "from": "22:00", "to": "06:00"}})
    # THEN it would never silence anything, and says so
    assert problems(payload) == {
        "recurrence": "no weekly window falls between starts_at and "
        "ends_at, so the silence would never silence "
        "anything"
    }


def test_comment_and_author_are_required_short_text() -> None:
    found = problems(body(comment=None, author=" "))
    assert found == {
        "comment": "is required: say why on-call will not be told",
        "author": "must be text of 1 to 200 characters (who asks for the silence)",
    }
    [too_long] = refusal(body(comment="x" * 1001))
    assert (too_long.field, too_long.value) == ("comment", None)  # not echoed back
    assert parse(body(comment="x" * 1000, author="a" * 200)).comment == "x" * 1000


def test_every_problem_is_reported_at_once() -> None:
    payload = {
        "matchers": {"rule": "nope"},
        "ends_at": "soon",
        "timezone": "Mars/Base",
        "recurrence": {"weekly": {"days": ["sat"], "from": "1", "to": "2"}},
        "author": "alice",
        "extra": True,
    }
    fields = [one.field for one in refusal(payload)]
    assert fields == [
        "extra",
        "matchers.rule",
        "timezone",
        "ends_at",
        "recurrence.weekly.from",
        "recurrence.weekly.to",
        "comment",
    ]


# --- matching ------------------------------------------------------------------------------------


def test_every_given_matcher_must_hold_and_a_list_is_a_choice() -> None:
    assert Matchers(rules=("large-order", "large-payment"), sources=("payments",)).matches(ACME)
    assert not Matchers(rules=("large-payment",), sources=("shop",)).matches(ACME)
    assert Matchers(labels={"team": ("ops", "payments"), "tier": ("gold",)}).matches(ACME)
    assert not Matchers(labels={"team": ("payments",), "tier": ("silver",)}).matches(ACME)


def test_an_absent_label_group_field_or_source_does_not_match() -> None:
    assert not Matchers(labels={"region": ("eu",)}).matches(ACME)
    assert not Matchers(group={"card": ("c-1",)}).matches(ACME)
    assert not Matchers(sources=("payments",)).matches(replace(ACME, source=None))


def test_group_values_compare_as_text() -> None:
    # GIVEN an alert whose group holds a number, a float, a boolean, null and a string
    target = replace(
        ACME,
        group=(("store", 7), ("ratio", 2.0), ("vip", True), ("region", None), ("merchant", "7")),
    )
    # THEN each matches its JSON text
    for field, text in [
        ("store", "7"),
        ("ratio", "2"),
        ("ratio", "2.0"),
        ("vip", "true"),
        ("region", "null"),
        ("merchant", "7"),
    ]:
        assert Matchers(group={field: (text,)}).matches(target), (field, text)
    assert not Matchers(group={"store": ("07",)}).matches(target)
    assert not Matchers(group={"vip": ("True",)}).matches(target)


def test_empty_matchers_match_every_alert() -> None:
    assert Matchers().matches(ACME)


def test_matchers_survive_their_json_form() -> None:
    matchers = Matchers(("large-payment",), (), {"team": ("a", "b")}, {"store": ("7",)})
    assert matchers.as_dict() == {
        "rule": ["large-payment"],
        "labels": {"team": ["a", "b"]},
        "group": {"store": ["7"]},
    }
    assert Matchers.from_dict(matchers.as_dict()) == matchers


def test_the_first_silence_that_covers_an_alert_is_the_one_recorded() -> None:
    other = silence(id="s-0", matchers=Matchers(rules=("large-order",)))
    later = silence(id="s-2", starts_at=NOW + timedelta(hours=1))
    first, second = silence(id="s-1"), silence(id="s-3")
    assert silencing([other, later, first, second], ACME, NOW) == first
    assert silencing([other, later], ACME, NOW) is None


# --- when a silence silences ---------------------------------------------------------------------


def test_a_silence_runs_from_its_start_until_its_end_or_its_expiry() -> None:
    plain = silence()
    assert [plain.active_at(NOW + timedelta(hours=h)) for h in (-0.01, 0, 7.99, 8)] == [
        False,
        True,
        True,
        False,
    ]
    expired = silence(expired_at=NOW + timedelta(hours=1))
    assert (
        expired.active_at(NOW + timedelta(minutes=59)),
        expired.active_at(NOW + timedelta(hours=1)),
    ) == (True, False)
    assert plain.covers(ACME, NOW)
    assert not plain.covers(replace(ACME, rule_id="large-order"), NOW)


def test_a_weekly_window_runs_past_midnight_into_the_next_day() -> None:
    # GIVEN Saturday nights from 22:00 to 06:00 UTC, for all of December 2026
    nights = silence(
        starts_at=utc("2026-12-01T00:00:00"),
        ends_at=utc("2027-01-01T00:00:00"),
        recurrence=weekly((5,), "22:00", "06:00"),
    )
    # THEN Saturday 5 December 22:00 to Sunday 06:00 is silenced, and nothing else around it
    checks = {
        "2026-12-05T21:59:59": False,
        "2026-12-05T22:00:00": True,
        "2026-12-06T03:00:00": True,
        "2026-12-06T05:59:59": True,
        "2026-12-06T06:00:00": False,
        "2026-12-06T22:30:00": False,
        "2026-12-04T23:00:00": False,
        "2026-12-12T23:00:00": True,
    }
    assert {at: nights.active_at(utc(at)) for at in checks} == checks


def test_a_weekly_window_is_wall_clock_time_in_its_zone() -> None:
    # GIVEN weekdays 09:00 to 17:00 in New York
    office = silence(
        timezone="America/New_York",
        starts_at=utc("2026-12-01T00:00:00"),
        ends_at=utc("2027-01-01T00:00:00"),
        recurrence=weekly((0, 1, 2, 3, 4), "09:00", "17:00"),
    )
    # THEN Friday 4 December is silenced from 14:00 to 22:00 UTC (New York is UTC-5 in winter)
    assert [
        office.active_at(utc(at))
        for at in (
            "2026-12-04T13:59:00",
            "2026-12-04T14:00:00",
            "2026-12-04T21:59:00",
            "2026-12-04T22:00:00",
            "2026-12-05T15:00:00",
        )
    ] == [False, True, True, False, False]


def berlin_sunday_nights() -> Silence:
    return silence(
        timezone="Europe/Berlin",
        starts_at=utc("2026-03-01T00:00:00"),
        ends_at=utc("2026-12-01T00:00:00"),
        recurrence=weekly((6,), "01:00", "04:00"),
    )


def test_a_window_on_the_night_the_clocks_jump_forward_is_still_01_to_04_local() -> None:
    # GIVEN Sunday 01:00 to 04:00 in Berlin; on 29 March 2026 02:00 CET becomes 03:00 CEST
    sundays = berlin_sunday_nights()
    # THEN it runs from 01:00 CET (00:00 UTC) to 04:00 CEST (02:00 UTC): two hours that night
    checks = {
        "2026-03-28T23:59:59": False,
        "2026-03-29T00:00:00": True,
        "2026-03-29T01:30:00": True,
        "2026-03-29T01:59:59": True,
        "2026-03-29T02:00:00": False,
    }
    assert {at: sundays.active_at(utc(at)) for at in checks} == checks
    # AND the Sunday before, in winter time, it ran 00:00 to 03:00 UTC
    assert [
        sundays.active_at(utc(at))
        for at in ("2026-03-22T00:00:00", "2026-03-22T02:59:00", "2026-03-22T03:00:00")
    ] == [True, True, False]


def test_a_window_on_the_night_the_clocks_go_back_is_still_01_to_04_local() -> None:
    # GIVEN the same window; on 25 October 2026 03:00 CEST becomes 02:00 CET
    sundays = berlin_sunday_nights()
    # THEN it runs from 01:00 CEST (23:00 UTC Saturday) to 04:00 CET (03:00 UTC): four hours
    checks = {
        "2026-10-24T22:59:59": False,
        "2026-10-24T23:00:00": True,
        "2026-10-25T00:30:00": True,
        "2026-10-25T01:30:00": True,
        "2026-10-25T02:59:59": True,
        "2026-10-25T03:00:00": False,
    }
    assert {at: sundays.active_at(utc(at)) for at in checks} == checks


def test_a_window_edge_the_clocks_skip_or_repeat_takes_the_whole_change() -> None:
    # GIVEN a window starting at 02:30 on the night that time does not exist
    spring = weekly((6,), "02:30", "05:00")
    # THEN it starts when the clocks jump past it (01:00 UTC), ends at 05:00 CEST (03:00 UTC)
    assert spring.window(datetime(2026, 3, 29).date(), BERLIN) == (
        utc("2026-03-29T01:00:00"),
        utc("2026-03-29T03:00:00"),
    )
    # GIVEN a window ending at 02:30 on the night that time happens twice
    autumn = weekly((6,), "01:00", "02:30")
    # THEN it keeps silencing through the repeated hour until the second 02:30 (01:30 UTC)
    assert autumn.window(datetime(2026, 10, 25).date(), BERLIN) == (
        utc("2026-10-24T23:00:00"),
        utc("2026-10-25T01:30:00"),
    )


def test_the_state_says_whether_a_silence_is_coming_silencing_between_windows_or_over() -> None:
    nights = silence(
        starts_at=utc("2026-12-05T00:00:00"),
        ends_at=utc("2026-12-20T00:00:00"),
        recurrence=weekly((5,), "22:00", "06:00"),
    )
    assert [
        nights.state(utc(at))
        for at in (
            "2026-12-04T23:00:00",
            "2026-12-05T12:00:00",
            "2026-12-05T23:00:00",
            "2026-12-20T00:00:00",
        )
    ] == ["pending", "scheduled", "active", "expired"]
    ended_early = silence(expired_at=NOW + timedelta(hours=1))
    assert [ended_early.state(NOW + timedelta(hours=h)) for h in (0, 1)] == ["active", "expired"]
    never_started = silence(starts_at=NOW + timedelta(hours=2), expired_at=NOW)
    assert never_started.state(NOW + timedelta(hours=3)) == "expired"


# --- the API's view ------------------------------------------------------------------------------


def test_a_silence_is_shown_in_the_shape_it_was_asked_for() -> None:
    shown = silence(
        matchers=Matchers(("large-payment",), (), {}, {"store": ("7",)}),
        timezone="Europe/Berlin",
        recurrence=weekly((5, 6), "22:00", "06:00"),
        expired_at=NOW + timedelta(minutes=90, microseconds=5),
    )
    assert shown.as_dict() == {
        "id": "s-1",
        "matchers": {"rule": ["large-payment"], "group": {"store": ["7"]}},
        "starts_at": "2026-12-04T09:00:00Z",
        "ends_at": "2026-12-04T17:00:00Z",
        "timezone": "Europe/Berlin",
        "recurrence": {"weekly": {"days": ["sat", "sun"], "from": "22:00", "to": "06:00"}},
        "comment": "database upgrade",
        "author": "alice",
        "created_at": "2026-12-04T08:55:00Z",
        "expired_at": "2026-12-04T10:30:00.000005Z",
    }
    assert silence().as_dict(NOW)["state"] == "active"
    assert silence().as_dict()["recurrence"] is None


def test_a_recurrence_survives_its_json_form() -> None:
    recurrence = weekly((0, 6), "23:15", "01:00")
    assert WeeklyRecurrence.from_dict(recurrence.as_dict()) == recurrence


# --- GET /silences parameters ----------------------------------------------------------------------


def test_the_list_shows_silences_not_yet_ended_unless_all_are_asked_for() -> None:
    assert parse_silence_query({}) == SilenceQuery(include_ended=False)
    assert parse_silence_query({"state": "active"}) == SilenceQuery(include_ended=False)
    assert parse_silence_query({"state": " ALL "}) == SilenceQuery(include_ended=True)


def test_bad_list_parameters_are_named() -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_silence_query({"state": "expired", "limit": "5"})
    assert [(one.field, one.value) for one in caught.value.details] == [
        ("limit", None),
        ("state", "expired"),
    ]
    assert caught.value.details[0].message == "unknown parameter; expected one of state"
