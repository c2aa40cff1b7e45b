"""The availability configuration: a source definition's ``availability:`` section and the
business-hours table, each problem with its file, line and key."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.availability import (
    AvailabilitySettings,
    EntityHours,
    HoursTable,
    Opening,
    parse_availability,
    parse_hours_table,
)
from chalicelib.domain.errors import Detail, RuleFileError, SourceDefinitionError
from chalicelib.domain.sources import parse_source_definition

FILE = "rules/sources/tills.yaml"
BASE = """\
type_column: kind
id: [store, sent_at]
occurred_at: sent_at
columns:
  - {name: store, type: string, required: true}
  - {name: sent_at, type: timestamp, required: true}
  - {name: kind, type: string, required: true}
  - {name: status, type: string}
  - {name: online, type: boolean}
  - {name: amount, type: number}
"""  # the section starts at line 11
TABLES = ("store-hours", "stores")


def settings(section: str) -> AvailabilitySettings | None:
    document = located_yaml(BASE + section, FILE)
    assert not isinstance(document, list), document
    definition = parse_source_definition(FILE, document)
    return parse_availability(FILE, document, definition, TABLES)


def problems(section: str) -> list[str]:
    with pytest.raises(SourceDefinitionError) as caught:
        settings(section)
    return [RuleFileError.describe(one) for one in caught.value.details]


# --- the YAML section ----------------------------------------------------------------------------


def test_a_source_without_the_section_has_no_availability() -> None:
    assert settings("") is None


def test_a_full_section_is_read_with_values_case_folded() -> None:
    # GIVEN every key
    found = settings(
        "availability:\n"
        "  entity: store\n"
        "  status: status\n"
        "  timezone: America/Chicago\n"
        "  stale_after: 90m\n"
        "  up: [Active, OPEN]\n"
        "  down: [inactive]\n"
        "  hours: store-hours\n"
    )
    # THEN each is taken as written
    assert found == AvailabilitySettings(
        "tills",
        "store",
        "status",
        "America/Chicago",
        "string",
        timedelta(minutes=90),
        frozenset({"active", "open"}),
        frozenset({"inactive"}),
        "store-hours",
    )


def test_the_defaults_are_two_hours_and_the_usual_status_words() -> None:
    # GIVEN only the required keys
    found = settings("availability:\n  entity: store\n  status: status\n  timezone: UTC\n")
    # THEN stale after 2 h, up active/up/open/online, down inactive/down/closed/offline, 24x7
    assert found is not None
    assert (found.stale_after, found.hours) == (timedelta(hours=2), None)
    assert found.up == {"active", "up", "open", "online"}
    assert found.down == {"inactive", "down", "closed", "offline"}


def test_every_mistake_in_the_section_is_reported_at_its_line() -> None:
    # GIVEN a section with a mistake on nearly every line
    found = problems(
        "availability:\n"  # line 11
        "  entity: shop\n"
        "  status: amount\n"
        "  timezone: Europe/Berlyn\n"
        "  stale_after: soon\n"
        "  up: [active]\n"
        "  down: [ACTIVE]\n"
        "  hours: store-hourz\n"
        "  colour: red\n"
    )
    # THEN each is named with file:line and key
    assert found == [
        "rules/sources/tills.yaml:12: availability.entity: 'shop' is not a declared column "
        "(declared: store, sent_at, kind, status, online, amount)",
        "rules/sources/tills.yaml:13: availability.status: 'amount' is declared as number; "
        "status must name a string or boolean column",
        "rules/sources/tills.yaml:14: availability.timezone: 'Europe/Berlyn' is not an IANA time "
        "zone (e.g. Europe/Berlin, America/Chicago, UTC)",
        "rules/sources/tills.yaml:15: availability.stale_after: 'soon' is not a duration; write a "
        "number and a unit: 30s, 5m, 2h, 1d, 1w",
        "rules/sources/tills.yaml:17: availability.down: active cannot be both up and down",
        "rules/sources/tills.yaml:18: availability.hours: 'store-hourz' is not a reference table "
        "(rules/reference/<name>.csv; known: store-hours, stores)",
        "rules/sources/tills.yaml:19: availability.colour: unknown key 'colour'; allowed keys: "
        "entity, status, timezone, stale_after, up, down, hours",
    ]


def test_required_keys_and_a_boolean_status_with_values_are_reported() -> None:
    # GIVEN a section that names only a boolean status and gives it words
    found = problems("availability:\n  status: online\n  up: [ok]\n")
    # THEN entity and timezone are required (at the section's line) and up is not for booleans
    assert found == [
        "rules/sources/tills.yaml:11: availability.entity: is required: the string or integer "
        "column",
        "rules/sources/tills.yaml:11: availability.timezone: is required: the IANA time zone of "
        "entities the hours table gives none",
        "rules/sources/tills.yaml:13: availability.up: is not for a boolean status: true is up, "
        "false down",
    ]


def test_the_section_must_be_a_mapping() -> None:
    assert problems("availability: yes\n") == [
        "rules/sources/tills.yaml:11: availability: must be a mapping, not true/false"
    ]


# --- the hours table -----------------------------------------------------------------------------


def hours_table(*lines: str) -> HoursTable | list[Detail]:
    rows = list(csv.reader(lines))
    return parse_hours_table(
        "rules/reference/store-hours.csv", rows[0], list(enumerate(rows[1:], start=2))
    )


def described(found: HoursTable | list[Detail]) -> list[str]:
    assert isinstance(found, list)
    return [RuleFileError.describe(one) for one in found if isinstance(one, Detail)]


def test_a_row_is_a_week_of_openings_in_its_zone() -> None:
    # GIVEN a row with split hours, a late night into the next day, 24h and closed days
    found = hours_table(
        "store,timezone,mon,tue,wed,thu,fri,sat,sun,note",
        "s-1,Europe/Rome,08:00-12:00; 14:00-19:00,24h,closed,closed,closed,22:00-02:00,"
        "10:00-24:00,a note",
    )
    # THEN minutes after local midnight per weekday (0 = Monday), the zone as written
    assert not isinstance(found, list)
    assert found["s-1"] == EntityHours(
        "s-1",
        "Europe/Rome",
        (
            Opening(0, 480, 720),
            Opening(0, 840, 1140),
            Opening(1, 0, 1440),
            Opening(5, 1320, 120),
            Opening(6, 600, 1440),
        ),
        2,
    )
    assert Opening(5, 1320, 120).crosses_midnight


def test_a_row_with_every_day_empty_is_open_around_the_clock_in_the_default_zone() -> None:
    found = hours_table("store,timezone,mon,tue,wed,thu,fri,sat,sun", "s-4,,,,,,,,")
    assert not isinstance(found, list)
    assert found["s-4"] == EntityHours("s-4", None, None, 2)


def test_every_bad_cell_is_reported_with_its_line_and_column() -> None:
    # GIVEN a table with a bad zone, bad intervals, a forgotten day, a duplicate and a short row
    found = hours_table(
        "store,timezone,mon,tue,wed,thu,fri,sat,sun",
        "s-1,Mars/Olympus,9-17,closed,closed,closed,closed,closed,closed",
        "s-2,,09:00-09:00,,closed,closed,closed,closed,25:00-26:00",
        "s-3,,24h,24h,24h,24h,24h,24h,24h",
        "s-3,,24h,24h,24h,24h,24h,24h,24h",
        "s-5,,24h",
    )
    # THEN each problem names the file, line and column
    assert described(found) == [
        "rules/reference/store-hours.csv:2: timezone: 'Mars/Olympus' is not an IANA time zone "
        "(e.g. Europe/Berlin, America/Chicago, UTC)",
        "rules/reference/store-hours.csv:2: mon: '9-17' is not an interval such as 09:00-17:00 "
        "(or closed, 24h)",
        "rules/reference/store-hours.csv:3: mon: '09:00-09:00' opens and closes at once; write 24h "
        "for a whole day",
        "rules/reference/store-hours.csv:3: tue: is empty; write closed, 24h or the hours "
        "(09:00-17:00), or leave every day empty for 24x7",
        "rules/reference/store-hours.csv:3: sun: '25:00-26:00' is not an interval such as 09:00-17:00 "
        "(or closed, 24h)",
        "rules/reference/store-hours.csv:5: duplicate entity 's-3' (first at line 4)",
        "rules/reference/store-hours.csv:6: has 3 cells; the header has 9",
    ]
    assert [one.column for one in found if isinstance(one, Detail)][:3] == [
        "timezone",
        "mon",
        "mon",
    ]


def test_a_header_without_the_days_is_refused_as_a_whole() -> None:
    assert described(hours_table("store,timezone,monday", "s-1,,09:00-17:00")) == [
        "rules/reference/store-hours.csv:1: the header lacks mon, tue, wed, thu, fri, sat, sun; "
        "expected: entity,timezone,mon,tue,wed,thu,fri,sat,sun"
    ]
