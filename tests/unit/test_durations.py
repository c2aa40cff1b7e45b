"""Durations as operators write them: parse_duration and its inverse format_duration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.durations import MAX_DURATION, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("  15m ", timedelta(minutes=15)),
        ("90m", timedelta(minutes=90)),
        ("366d", timedelta(days=366)),
        (45, timedelta(seconds=45)),
    ],
)
def test_a_number_and_a_unit_reads_as_that_duration(text: object, expected: timedelta) -> None:
    # GIVEN a duration as an operator writes it WHEN it is parsed THEN it is that timedelta
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "5x",
        "",
        "m",
        "5",
        "1.5h",
        "30m1h",
        "1h1h",
        "5 m",
        "-5m",
        "5M",
        "1h 30m",
        "1e3s",
        "٣m",
        "9999999999s",
    ],
)
def test_text_that_is_not_a_duration_answers_how_to_write_one(text: str) -> None:
    # GIVEN text that is not a number and a unit WHEN it is parsed
    reason = parse_duration(text)
    # THEN the answer says what was wrong and shows the spelling
    assert isinstance(reason, str)
    assert reason == f"{text!r} is not a duration; write a number and a unit: 30s, 5m, 2h, 1d, 1w"


@pytest.mark.parametrize("value", [True, 1.5, None, [5], {"m": 5}])
def test_values_that_are_neither_text_nor_whole_seconds_are_refused(value: object) -> None:
    # GIVEN a YAML value of another kind WHEN parsed THEN it is refused with the spelling
    reason = parse_duration(value)
    assert isinstance(reason, str) and "is not a duration" in reason


@pytest.mark.parametrize("value", ["0s", "0m", 0, -5])
def test_a_duration_must_be_longer_than_zero(value: object) -> None:
    # GIVEN a zero or negative duration WHEN parsed THEN the reason says it must be positive
    assert parse_duration(value) == f"{value!r} is not a duration: it must be longer than zero"


@pytest.mark.parametrize("value", ["367d", "53w", "8785h", 366 * 86_400 + 1])
def test_a_duration_is_at_most_366_days(value: object) -> None:
    # GIVEN a duration longer than the limit WHEN parsed THEN it is refused as too long
    assert parse_duration(value) == f"{value!r} is too long: a duration is at most 366 days"
    assert parse_duration(int(MAX_DURATION.total_seconds())) == MAX_DURATION


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(minutes=5), "5m"),
        (timedelta(days=7), "1w"),
        (timedelta(days=8, seconds=1), "1w1d1s"),
        (timedelta(0), "0s"),
        (timedelta(seconds=1.7), "1s"),
        (timedelta(minutes=-5), "-5m"),
    ],
)
def test_format_duration_spells_a_timedelta_the_way_operators_write_it(
    delta: timedelta, text: str
) -> None:
    # GIVEN a timedelta WHEN formatted THEN it reads as the operator would write it
    assert format_duration(delta) == text


@pytest.mark.parametrize("text", ["30s", "5m", "1h30m", "1w2d3h4m5s", "366d", "52w2d"])
def test_formatting_a_parsed_duration_gives_back_an_equivalent_text(text: str) -> None:
    # GIVEN any valid duration WHEN parsed and formatted again
    parsed = parse_duration(text)
    assert isinstance(parsed, timedelta)
    # THEN the text parses to the same duration
    assert parse_duration(format_duration(parsed)) == parsed
