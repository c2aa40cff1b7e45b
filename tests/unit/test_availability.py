"""The availability report against hand-computed figures: business hours in local time (DST
changes, midnight crossings, several intervals a day), interpolation (stale observations, long
gaps, carry-in from before the range) and the defaults (no hours: 24x7; no zone: the source's).

Each case writes its arithmetic in a comment. Times are UTC unless marked local; Europe/Berlin is
UTC+1 in winter (CET) and UTC+2 in summer (CEST), America/Chicago UTC-6 (CST) and UTC-5 (CDT).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.availability import (
    AvailabilitySettings,
    HoursTable,
    Observation,
    Span,
    State,
    Window,
    availability_columns,
    availability_rows,
    last_windows,
    open_spans,
    parse_hours_table,
    range_windows,
    reading_span,
    status_segments,
)

HEADER = "store,timezone,mon,tue,wed,thu,fri,sat,sun"
SETTINGS = AvailabilitySettings("stores", "store", "status", "Europe/Berlin")
BERLIN, CHICAGO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Chicago")


def at(text: str) -> datetime:
    """``2026-11-23T08:00`` in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def table(*rows: str) -> HoursTable:
    """A business-hours table written as its CSV lines (after the header)."""
    cells = list(csv.reader([HEADER, *rows]))
    found = parse_hours_table("hours.csv", cells[0], list(enumerate(cells[1:], start=2)))
    assert not isinstance(found, list), found
    return found


def obs(entity: str, when: str, status: object) -> Observation:
    return Observation(entity, at(when), status)


def report(
    observations: Sequence[Observation],
    hours: HoursTable,
    windows: Sequence[Window],
    settings: AvailabilitySettings = SETTINGS,
) -> dict[str, tuple[object, ...]]:
    """Each entity's cells after its name: timezone, then up, down, unknown per window."""
    rows = availability_rows(observations, hours, settings, windows)
    return {row.entity: row.cells()[1:] for row in rows}


def open_hours(week: str, zone: ZoneInfo, start: str, end: str) -> float:
    """Hours open in ``[start, end)`` for one table row's day cells (``mon,...,sun``)."""
    hours = table(f"x,,{week}")["x"]
    spans = open_spans(hours.week, zone, at(start), at(end))
    return sum((span.length for span in spans), timedelta()) / timedelta(hours=1)


# --- business hours in local time -------------------------------------------------------------


def test_a_nine_to_five_day_is_eight_hours_on_a_plain_day_and_on_both_dst_days() -> None:
    # GIVEN 09:00-17:00 every day in Berlin and Chicago
    every_day = ",".join(["09:00-17:00"] * 7)
    # THEN each local day holds 8 hours of it, whether it has 24, 23 or 25 hours:
    # plain Monday 2026-11-23, Berlin: 08:00Z-16:00Z = 8 h
    assert open_hours(every_day, BERLIN, "2026-11-23T00:00", "2026-11-24T00:00") == 8
    # spring forward, Sunday 2026-03-29, Berlin (CEST from 01:00Z): 07:00Z-15:00Z = 8 h
    assert open_hours(every_day, BERLIN, "2026-03-28T23:00", "2026-03-29T22:00") == 8
    # fall back, Sunday 2026-10-25, Berlin (CET from 01:00Z): 08:00Z-16:00Z = 8 h
    assert open_hours(every_day, BERLIN, "2026-10-24T22:00", "2026-10-25T23:00") == 8
    # spring forward, Sunday 2026-03-08, Chicago (CDT from 08:00Z): 14:00Z-22:00Z = 8 h
    assert open_hours(every_day, CHICAGO, "2026-03-08T06:00", "2026-03-09T05:00") == 8
    # fall back, Sunday 2026-11-01, Chicago (CST from 07:00Z): 15:00Z-23:00Z = 8 h
    assert open_hours(every_day, CHICAGO, "2026-11-01T05:00", "2026-11-02T06:00") == 8


def test_hours_across_the_skipped_hour_are_an_hour_shorter_and_a_skipped_time_is_the_jump() -> None:
    sunday = "closed,closed,closed,closed,closed,closed,{}"
    # GIVEN Sunday 2026-03-29 in Berlin, when 02:00-03:00 local does not exist
    # THEN 01:00-04:00 runs from 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z: 2 h, not 3
    assert (
        open_hours(sunday.format("01:00-04:00"), BERLIN, "2026-03-28T00:00", "2026-03-30T00:00")
        == 2
    )
    # AND 02:30-05:00 opens when the clocks jump past 02:30 (03:00 CEST = 01:00Z) and closes at
    # 05:00 CEST = 03:00Z: 2 h
    assert (
        open_hours(sunday.format("02:30-05:00"), BERLIN, "2026-03-28T00:00", "2026-03-30T00:00")
        == 2
    )
    # AND the whole day (24h) is 23 hours: 2026-03-28T23:00Z to 2026-03-29T22:00Z
    assert open_hours(sunday.format("24h"), BERLIN, "2026-03-28T00:00", "2026-03-30T00:00") == 23


def test_hours_across_the_repeated_hour_are_an_hour_longer_and_a_repeated_time_is_the_first() -> (
    None
):
    sunday = "closed,closed,closed,closed,closed,closed,{}"
    # GIVEN Sunday 2026-10-25 in Berlin, when 02:00-03:00 local happens twice
    # THEN 00:00-03:00 runs from 00:00 CEST = 22:00Z (Sat) to 03:00 CET = 02:00Z: 4 h
    assert (
        open_hours(sunday.format("00:00-03:00"), BERLIN, "2026-10-24T00:00", "2026-10-26T00:00")
        == 4
    )
    # AND 02:30-04:00 opens at the first 02:30 (CEST) = 00:30Z, closes 04:00 CET = 03:00Z: 2.5 h
    assert (
        open_hours(sunday.format("02:30-04:00"), BERLIN, "2026-10-24T00:00", "2026-10-26T00:00")
        == 2.5
    )
    # AND the whole day is 25 hours: 2026-10-24T22:00Z to 2026-10-25T23:00Z
    assert open_hours(sunday.format("24h"), BERLIN, "2026-10-24T00:00", "2026-10-26T00:00") == 25


def test_hours_crossing_midnight_into_the_spring_forward_night_end_at_the_jump() -> None:
    # GIVEN Saturday 22:00-02:00 in Berlin, the night the clocks skip 02:00-03:00 (2026-03-29)
    saturday = "closed,closed,closed,closed,closed,22:00-02:00,closed"
    # THEN it opens 22:00 CET = 21:00Z and closes when 02:00 is skipped, 01:00Z: 4 h
    assert open_hours(saturday, BERLIN, "2026-03-28T00:00", "2026-03-30T00:00") == 4


def test_sundays_late_hours_run_into_monday_at_either_end_of_a_week() -> None:
    # GIVEN Sunday 22:00-02:00 in Berlin (CET), nothing else
    sunday = "closed,closed,closed,closed,closed,closed,22:00-02:00"
    # WHEN the range is the week Mon 2026-11-23 00:00Z to Mon 2026-11-30 00:00Z
    spans = open_spans(
        table(f"x,,{sunday}")["x"].week, BERLIN, at("2026-11-23T00:00"), at("2026-11-30T00:00")
    )
    # THEN last Sunday's night reaches in (its Monday 00:00-01:00Z) and this Sunday's is cut at the
    # end (21:00Z-00:00Z): 1 h + 3 h
    assert spans == [
        Span(at("2026-11-23T00:00"), at("2026-11-23T01:00")),
        Span(at("2026-11-29T21:00"), at("2026-11-30T00:00")),
    ]


# --- interpolation ---------------------------------------------------------------------------


def test_an_observation_holds_until_the_next_or_until_it_goes_stale() -> None:
    # GIVEN up at 10:00 and 15:00, down at 15:30, stale after 2 h, over 10:00-16:00
    segments = list(
        status_segments(
            [
                (at("2026-11-23T10:00"), State.UP),
                (at("2026-11-23T15:00"), State.UP),
                (at("2026-11-23T15:30"), State.DOWN),
            ],
            at("2026-11-23T10:00"),
            at("2026-11-23T16:00"),
            timedelta(hours=2),
        )
    )
    # THEN up 10-12, unknown 12-15 (the gap is longer than 2 h), up 15-15:30, down 15:30-16
    assert [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), s.state) for s in segments] == [
        ("10:00", "12:00", State.UP),
        ("12:00", "15:00", State.UNKNOWN),
        ("15:00", "15:30", State.UP),
        ("15:30", "16:00", State.DOWN),
    ]


def test_observations_out_of_time_order_are_refused() -> None:
    # GIVEN an entity whose observations go back in time
    observations = [
        obs("s-1", "2026-11-23T10:00", "active"),
        obs("s-1", "2026-11-23T09:00", "active"),
    ]
    # THEN the report refuses them rather than compute nonsense
    with pytest.raises(ValueError, match="out of order"):
        report(observations, table(), range_windows(at("2026-11-23T08:00"), at("2026-11-23T12:00")))


# --- the report: hand-computed cases -----------------------------------------------------------


def test_case_1_a_plain_day() -> None:
    # GIVEN s-1 open Mon-Fri 09:00-17:00 in Berlin (Mon 2026-11-23: 08:00Z-16:00Z), stale after 2 h,
    # active at 08:00Z, inactive at 11:00Z, active at 12:00Z
    hours = table("s-1,,09:00-17:00,09:00-17:00,09:00-17:00,09:00-17:00,09:00-17:00,closed,closed")
    observations = [
        obs("s-1", "2026-11-23T08:00", "active"),
        obs("s-1", "2026-11-23T11:00", "inactive"),
        obs("s-1", "2026-11-23T12:00", "active"),
    ]
    # WHEN the report covers Monday (UTC day)
    found = report(
        observations, hours, range_windows(at("2026-11-23T00:00"), at("2026-11-24T00:00"))
    )
    # THEN up 08-10 (stale at 10) + 12-14 = 4 h; down 11-12 = 1 h; unknown 10-11 + 14-16 = 3 h
    assert found == {"s-1": ("Europe/Berlin", 4.0, 1.0, 3.0)}


def test_case_2_the_spring_forward_day_in_chicago() -> None:
    # GIVEN s-1 in Chicago open all of Sunday (24h) and nothing else, active since Sat 00:00Z,
    # observations staying fresh for a week
    hours = table("s-1,America/Chicago,closed,closed,closed,closed,closed,closed,24h")
    settings = replace(SETTINGS, stale_after=timedelta(days=7))
    observations = [obs("s-1", "2026-03-07T00:00", "active")]
    # WHEN the report covers 2026-03-08 and 09 (UTC)
    windows = range_windows(at("2026-03-08T00:00"), at("2026-03-10T00:00"))
    found = report(observations, hours, windows, settings)
    # THEN Sunday 2026-03-08 local runs 06:00Z (00:00 CST) to 05:00Z Monday (00:00 CDT): up 23 h
    assert found == {"s-1": ("America/Chicago", 23.0, 0.0, 0.0)}


def test_case_3_the_fall_back_day_in_berlin() -> None:
    # GIVEN s-1 in Berlin (the source default) open 00:00-03:00 on Sundays, down from Sat 21:00Z
    hours = table("s-1,,closed,closed,closed,closed,closed,closed,00:00-03:00")
    settings = replace(SETTINGS, stale_after=timedelta(hours=12))
    observations = [
        obs("s-1", "2026-10-24T21:00", "inactive"),
        obs("s-1", "2026-10-25T01:00", "active"),
    ]
    # WHEN the report covers that weekend
    found = report(
        observations, hours, range_windows(at("2026-10-24T00:00"), at("2026-10-26T00:00")), settings
    )
    # THEN open 00:00 CEST = 22:00Z (Sat) to 03:00 CET = 02:00Z: 4 h;
    # down 22:00Z-01:00Z = 3 h, up 01:00Z-02:00Z = 1 h
    assert found == {"s-1": ("Europe/Berlin", 1.0, 3.0, 0.0)}


def test_case_4_hours_crossing_midnight_from_sunday_into_monday_over_the_last_week() -> None:
    # GIVEN s-1 open Sunday 22:00-02:00 in Berlin (CET) and never observed
    hours = table("s-1,,closed,closed,closed,closed,closed,closed,22:00-02:00")
    # WHEN the report ends at Mon 2026-11-30 00:00Z (01:00 local)
    found = report([], hours, last_windows(at("2026-11-30T00:00")))
    # THEN last hour (23:00Z-00:00Z): open all of it, unknown 60 min;
    # last day (Sun 00:00Z - Mon 00:00Z): open Sun 21:00Z-24:00Z, unknown 3 h;
    # last week (Mon 23rd 00:00Z - Mon 30th 00:00Z): Sunday 22nd's night 00:00Z-01:00Z on the 23rd
    # + Sunday 29th 21:00Z-24:00Z, unknown 1 + 3 = 4 h
    assert found == {"s-1": ("Europe/Berlin", 0.0, 0.0, 60.0, 0.0, 0.0, 3.0, 0.0, 0.0, 4.0)}


def test_case_5_no_observations_at_all_is_all_unknown_for_every_listed_entity() -> None:
    # GIVEN two stores in the table (one 24x7), no observations
    hours = table("s-1,,24h,24h,24h,24h,24h,closed,closed", "s-2,,,,,,,,")
    # WHEN the report covers Mon 2026-11-23 00:00Z-06:00Z
    found = report([], hours, range_windows(at("2026-11-23T00:00"), at("2026-11-23T06:00")))
    # THEN s-1 (Mon 24h from 23:00Z Sunday) and s-2 (24x7) are open and unknown for all 6 h
    assert found == {
        "s-1": ("Europe/Berlin", 0.0, 0.0, 6.0),
        "s-2": ("Europe/Berlin", 0.0, 0.0, 6.0),
    }


def test_case_6_a_gap_longer_than_stale_after_is_unknown_after_it_goes_stale() -> None:
    # GIVEN s-9, in no table (24x7), active at 10:00Z and 15:00Z, stale after 2 h
    observations = [
        obs("s-9", "2026-11-23T10:00", "active"),
        obs("s-9", "2026-11-23T15:00", "active"),
    ]
    # WHEN the report covers 10:00Z-16:00Z
    found = report(
        observations, table(), range_windows(at("2026-11-23T10:00"), at("2026-11-23T16:00"))
    )
    # THEN up 10-12 + 15-16 = 3 h; unknown 12-15 = 3 h
    assert found == {"s-9": ("Europe/Berlin", 3.0, 0.0, 3.0)}


def test_case_7_an_entity_without_a_time_zone_uses_the_sources_default() -> None:
    # GIVEN s-1 open Monday 09:00-17:00 with no zone of its own, the source's default Chicago,
    # active from 14:00Z, fresh for a day
    hours = table("s-1,,09:00-17:00,closed,closed,closed,closed,closed,closed")
    settings = replace(SETTINGS, timezone="America/Chicago", stale_after=timedelta(days=1))
    observations = [obs("s-1", "2026-11-23T14:00", "active")]
    # WHEN the report covers Monday 2026-11-23 (UTC)
    found = report(
        observations, hours, range_windows(at("2026-11-23T00:00"), at("2026-11-24T00:00")), settings
    )
    # THEN open 09:00-17:00 CST = 15:00Z-23:00Z, all of it up: 8 h (Berlin's 08:00Z-16:00Z would
    # give 2 h up and 6 h unknown)
    assert found == {"s-1": ("America/Chicago", 8.0, 0.0, 0.0)}


def test_case_8_several_intervals_a_day() -> None:
    # GIVEN s-2 open 08:00-12:00 and 14:00-19:00 on Mondays in Berlin (07-11Z, 13-18Z), fresh for
    # a day: active 06:00Z, inactive 10:00Z, active 15:00Z
    hours = table("s-2,,08:00-12:00 14:00-19:00,closed,closed,closed,closed,closed,closed")
    settings = replace(SETTINGS, stale_after=timedelta(days=1))
    observations = [
        obs("s-2", "2026-11-23T06:00", "active"),
        obs("s-2", "2026-11-23T10:00", "inactive"),
        obs("s-2", "2026-11-23T15:00", "active"),
    ]
    # WHEN the report covers Monday (UTC)
    found = report(
        observations, hours, range_windows(at("2026-11-23T00:00"), at("2026-11-24T00:00")), settings
    )
    # THEN up 07-10 + 15-18 = 6 h; down 10-11 + 13-15 = 3 h; open 4 + 5 = 9 h
    assert found == {"s-2": ("Europe/Berlin", 6.0, 3.0, 0.0)}


def test_case_9_an_observation_before_the_range_carries_into_every_window() -> None:
    # GIVEN s-9 (24x7) inactive at 09:30Z and active at 10:45Z, stale after 2 h
    observations = [
        obs("s-9", "2026-11-23T09:30", "inactive"),
        obs("s-9", "2026-11-23T10:45", "active"),
    ]
    # WHEN the report ends at 11:00Z
    found = report(observations, table(), last_windows(at("2026-11-23T11:00")))
    # THEN last hour (10:00-11:00): down 10:00-10:45 = 45 min (carried in), up 15 min;
    # last day: down 09:30-10:45 = 1.25 h, up 0.25 h, unknown 24 - 1.5 = 22.5 h;
    # last week: down 1.25 h, up 0.25 h, unknown 168 - 1.5 = 166.5 h
    assert found == {"s-9": ("Europe/Berlin", 15.0, 45.0, 0.0, 0.25, 1.25, 22.5, 0.25, 1.25, 166.5)}


def test_case_10_an_unknown_status_value_is_unknown_and_the_last_of_one_instant_wins() -> None:
    # GIVEN s-9 (24x7): active then inactive both at 10:00Z, "maintenance" at 10:30Z
    observations = [
        obs("s-9", "2026-11-23T10:00", "active"),
        obs("s-9", "2026-11-23T10:00", "INACTIVE "),
        obs("s-9", "2026-11-23T10:30", "maintenance"),
    ]
    # WHEN the report covers 10:00Z-11:00Z in minutes
    windows = range_windows(at("2026-11-23T10:00"), at("2026-11-23T11:00"), "minutes")
    found = report(observations, table(), windows)
    # THEN down 10:00-10:30 (the later "INACTIVE " wins; case and spaces do not matter) = 30 min;
    # unknown 10:30-11:00 = 30 min (maintenance is neither up nor down)
    assert found == {"s-9": ("Europe/Berlin", 0.0, 30.0, 30.0)}


def test_case_11_a_boolean_status_is_up_when_true() -> None:
    # GIVEN a sensor feed whose status is a boolean (read back as True or 1), stale after 2 h
    settings = replace(SETTINGS, status_type="boolean")
    observations = [obs("k-1", "2026-11-23T10:00", 1), obs("k-1", "2026-11-23T10:20", False)]
    # WHEN the report covers 10:00Z-11:00Z in minutes
    windows = range_windows(at("2026-11-23T10:00"), at("2026-11-23T11:00"), "minutes")
    # THEN up 20 min, down 40 min
    assert report(observations, table(), windows, settings) == {
        "k-1": ("Europe/Berlin", 20.0, 40.0, 0.0)
    }


def test_interleaved_entities_each_get_their_own_row_sorted_by_entity() -> None:
    # GIVEN two stores' observations interleaved in time order, as the reader streams them
    observations = [
        obs("s-2", "2026-11-23T10:00", "active"),
        obs("s-1", "2026-11-23T10:10", "inactive"),
        obs("s-2", "2026-11-23T10:30", "inactive"),
    ]
    windows = range_windows(at("2026-11-23T10:00"), at("2026-11-23T11:00"), "minutes")
    # WHEN the report is made
    rows = list(availability_rows(observations, table(), SETTINGS, windows))
    # THEN s-1: unknown 10 min, down 50; s-2: up 30, down 30; in entity order, with the header
    assert [row.cells() for row in rows] == [
        ("s-1", "Europe/Berlin", 0.0, 50.0, 10.0),
        ("s-2", "Europe/Berlin", 30.0, 30.0, 0.0),
    ]
    assert availability_columns(windows) == (
        "entity",
        "timezone",
        "uptime_range_minutes",
        "downtime_range_minutes",
        "unknown_range_minutes",
    )


def test_the_standard_columns_and_the_span_a_reader_must_cover() -> None:
    # GIVEN the last hour, day and week ending at 11:00Z
    windows = last_windows(at("2026-11-23T11:00"))
    # THEN the header is the Store Monitoring one, with unknown beside up and down
    assert availability_columns(windows)[2:5] == (
        "uptime_last_hour_minutes",
        "downtime_last_hour_minutes",
        "unknown_last_hour_minutes",
    )
    assert availability_columns(windows)[-1] == "unknown_last_week_hours"
    # AND a reader starts stale_after (2 h) before the week: an older observation is stale by then
    assert reading_span(windows, SETTINGS) == Span(at("2026-11-16T09:00"), at("2026-11-23T11:00"))
