"""The time fields of a silence body: its time zone, its start and end, its weekly windows.

Wall-clock times are read in the silence's time zone, and a time the clocks skip or show twice is
refused with the offsets to choose from rather than guessed: a maintenance window that starts an
hour late is worse than a request sent twice. The helpers at the end are shared with
:mod:`~chalicelib.domain.silences.parsing`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from chalicelib.domain.errors import Detail
from chalicelib.domain.local_times import local_instants, shows
from chalicelib.domain.silences.model import DAY_NAMES, WeeklyRecurrence

WEEKLY_KEYS = ("days", "from", "to")
MAX_ZONE_LENGTH = 64
MAX_DURATION = timedelta(days=366)
DAYS = {
    name: number
    for number, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
    for name in (full, DAY_NAMES[number])
}
CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_zone(value: object, problems: list[Detail]) -> tuple[str, tzinfo | None]:
    """The zone's name and the zone; None after a problem, so times without an offset are not
    read in a zone nobody asked for."""
    if value is None:
        return "UTC", UTC
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ZONE_LENGTH:
        problems.append(
            Detail(
                "must be an IANA time zone name such as Europe/Berlin",
                field="timezone",
                value=value,
            )
        )
        return "UTC", None
    name = value.strip()
    try:
        return name, ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        known = {zone.lower(): zone for zone in available_timezones()}
        close = difflib.get_close_matches(name.lower(), sorted(known), n=1)
        hint = f"; did you mean {known[close[0]]!r}?" if close else " such as Europe/Berlin"
        problems.append(
            Detail(f"is not an IANA time zone name{hint}", field="timezone", value=value)
        )
        return "UTC", None


def parse_moment(
    payload: Mapping[str, Any], key: str, zone: tzinfo | None, problems: list[Detail]
) -> datetime | None:
    """An ISO 8601 time: exact with an offset, otherwise read in the silence's time zone."""
    value = payload.get(key)
    example = "e.g. 2026-12-05T22:00:00 in 'timezone', or 2026-12-05T22:00:00+01:00"
    if value is None:
        problems.append(Detail(f"is required ({example})", field=key))
        return None
    try:
        parsed = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        problems.append(Detail(f"must be an ISO 8601 time ({example})", field=key, value=value))
        return None
    if zone is None:  # the time zone is wrong and said so: the time cannot be read
        return None
    try:
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        return _wall_time(parsed, zone, key, value, problems)
    except OverflowError:
        problems.append(Detail("is out of range", field=key, value=value))
        return None


def _wall_time(
    wall: datetime, zone: tzinfo, key: str, value: str, problems: list[Detail]
) -> datetime | None:
    first, second = local_instants(wall, zone)
    if first == second:
        return first
    before = wall.replace(tzinfo=zone, fold=0).strftime("%z")
    after = wall.replace(tzinfo=zone, fold=1).strftime("%z")
    offsets = f"{before[:3]}:{before[3:]}", f"{after[:3]}:{after[3:]}"
    if shows(first, zone, wall):
        message = (
            f"happens twice in {zone} (the clocks go back); add the offset you mean: "
            f"{offsets[0]} for the first time, {offsets[1]} for the second"
        )
    else:
        message = (
            f"does not exist in {zone} (the clocks skip it); add an offset "
            f"({offsets[0]} before the change, {offsets[1]} after) or pick another time"
        )
    problems.append(Detail(message, field=key, value=value))
    return None


def check_span(
    starts_at: datetime, ends_at: datetime, now: datetime, problems: list[Detail]
) -> None:
    """A silence must end in the future, and a year is the longest anyone can promise about."""
    if ends_at <= starts_at:
        problems.append(Detail("must be after starts_at", field="ends_at"))
    if ends_at <= now:
        problems.append(Detail("is in the past; a silence must end after now", field="ends_at"))
    if ends_at - starts_at > MAX_DURATION:
        problems.append(
            Detail(
                f"makes the silence {(ends_at - starts_at).days} days long; at most "
                f"{MAX_DURATION.days} are allowed",
                field="ends_at",
            )
        )


# --- recurrence -----------------------------------------------------------------------------------


def parse_recurrence(value: object, problems: list[Detail]) -> WeeklyRecurrence | None:
    if value is None:
        return None
    shape = '{"weekly": {"days": ["sat", "sun"], "from": "22:00", "to": "06:00"}}'
    if not isinstance(value, dict):
        problems.append(Detail(f"must be {shape} or null", field="recurrence", value=value))
        return None
    before = len(problems)
    problems.extend(unknown_keys(value, ("weekly",), "recurrence."))
    weekly = value.get("weekly")
    if not isinstance(weekly, dict):
        problems.append(Detail(f"must be an object, as in {shape}", field="recurrence.weekly"))
        return None
    problems.extend(unknown_keys(weekly, WEEKLY_KEYS, "recurrence.weekly."))
    days = _days(weekly.get("days"), problems)
    start, end = _clock(weekly, "from", problems), _clock(weekly, "to", problems)
    if start is not None and start == end:
        problems.append(
            Detail(
                "must differ from 'from' (an earlier 'to' runs past midnight)",
                field="recurrence.weekly.to",
                value=weekly["to"],
            )
        )
    if len(problems) > before or start is None or end is None:
        return None
    return WeeklyRecurrence(tuple(sorted(days)), start, end)


def _days(value: object, problems: list[Detail]) -> list[int]:
    where = "recurrence.weekly.days"
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list) or not listed:
        problems.append(Detail(f"must list one or more of {', '.join(DAY_NAMES)}", field=where))
        return []
    days: list[int] = []
    for index, item in enumerate(listed):
        day = DAYS.get(item.strip().lower()) if isinstance(item, str) else None
        if day is None:
            problems.append(
                Detail(
                    f"is not a day; use {', '.join(DAY_NAMES)}",
                    field=f"{where}[{index}]",
                    value=item,
                )
            )
        elif day in days:
            problems.append(Detail("is listed twice", field=f"{where}[{index}]", value=item))
        else:
            days.append(day)
    return days


def _clock(weekly: Mapping[str, Any], key: str, problems: list[Detail]) -> time | None:
    value = weekly.get(key)
    found = CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        message = "is required" if value is None else "must be a 24-hour time HH:MM"
        problems.append(
            Detail(
                f"{message} (e.g. 22:00), in 'timezone'",
                field=f"recurrence.weekly.{key}",
                value=value,
            )
        )
        return None
    return time(int(found[1]), int(found[2]))


def check_windows(
    recurrence: WeeklyRecurrence,
    starts_at: datetime,
    ends_at: datetime,
    zone: tzinfo,
    problems: list[Detail],
) -> None:
    """Days that never fall in the silence's span are a mistake, not a silence."""
    if next(recurrence.windows_between(starts_at, ends_at, zone), None) is None:
        problems.append(
            Detail(
                "no weekly window falls between starts_at and ends_at, so the "
                "silence would never silence anything",
                field="recurrence",
            )
        )


# --- shared with the body parser ------------------------------------------------------------


def unknown_keys(
    given: Mapping[str, Any], known: tuple[str, ...], prefix: str, noun: str = "key"
) -> list[Detail]:
    return [
        Detail(f"unknown {noun}; expected one of {', '.join(known)}", field=f"{prefix}{key}")
        for key in given
        if key not in known
    ]
