"""Checking a source definition's ``availability:`` section into :class:`AvailabilitySettings`.

A second pass over a definition that already checked (its columns are known), like lookups:
each problem names its key and line, and all are reported at once. The fields it names must be
declared columns so that a typo is caught when the rules are checked, not when a report comes
out empty.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import NoReturn

from chalicelib.domain.availability.model import (
    DEFAULT_DOWN,
    DEFAULT_STALE_AFTER,
    DEFAULT_UP,
    STATUS_TYPES,
    AvailabilitySettings,
)
from chalicelib.domain.availability.zones import ZONE_HINT, is_zone
from chalicelib.domain.durations import parse_duration
from chalicelib.domain.errors import SourceDefinitionError
from chalicelib.domain.sources import (
    SOURCE_PATTERN,
    Located,
    LocatedMapping,
    Problems,
    SourceDefinition,
    yaml_kind,
)

AVAILABILITY_KEYS = ("entity", "status", "timezone", "stale_after", "up", "down", "hours")
ENTITY_TYPES = ("string", "integer")
_PATH = "availability."


def parse_availability(
    file: str, document: LocatedMapping, definition: SourceDefinition, tables: Collection[str]
) -> AvailabilitySettings | None:
    """The source's settings (None without the section); :class:`SourceDefinitionError` listing
    every problem otherwise. ``tables`` are the reference tables ``hours:`` may name."""
    entry = document.get("availability")
    if entry is None:
        return None
    problems = Problems(file)
    if not isinstance(entry.value, Mapping):
        problems.add(f"must be a mapping, not {yaml_kind(entry.value)}", "availability", entry.line)
        _raise(file, problems)
    section: LocatedMapping = entry.value
    problems.unknown_keys(section, AVAILABILITY_KEYS, _PATH)
    entity = _field(section, "entity", ENTITY_TYPES, definition, problems, entry.line)
    status = _field(section, "status", STATUS_TYPES, definition, problems, entry.line)
    zone = _zone(section.get("timezone"), problems, entry.line)
    stale_after = _stale_after(section.get("stale_after"), problems)
    column = definition.column(status) if status else None
    status_type = column.type if column else ""
    up, down = _values(section, status_type, problems)
    hours = _hours(section.get("hours"), tables, problems)
    if problems.details or entity is None or status is None or zone is None:
        _raise(file, problems)
    return AvailabilitySettings(
        definition.source, entity, status, zone, status_type, stale_after, up, down, hours
    )


def _raise(file: str, problems: Problems) -> NoReturn:
    count = len(problems.details)
    raise SourceDefinitionError(
        f"{file}: {count} problem{'s' if count != 1 else ''} in availability",
        sorted(problems.details, key=lambda one: one.line or 0),
    )


def _field(
    section: LocatedMapping,
    key: str,
    types: tuple[str, ...],
    definition: SourceDefinition,
    problems: Problems,
    line: int,
) -> str | None:
    entry = section.get(key)
    name = problems.text(entry, _PATH + key)
    if entry is None or name is None:
        if entry is None or entry.value is None:
            problems.add(f"is required: the {' or '.join(types)} column", _PATH + key, line)
        return None
    column = definition.column(name)
    if column is None:
        declared = ", ".join(one.name for one in definition.columns)
        problems.add(
            f"'{name}' is not a declared column (declared: {declared})", _PATH + key, entry.line
        )
        return None
    if column.type not in types:
        problems.add(
            f"'{name}' is declared as {column.type}; {key} must name a {' or '.join(types)} column",
            _PATH + key,
            entry.line,
        )
        return None
    return name


def _zone(entry: Located | None, problems: Problems, line: int) -> str | None:
    name = problems.text(entry, _PATH + "timezone")
    if entry is None or entry.value is None:
        problems.add(
            "is required: the IANA time zone of entities the hours table gives none",
            _PATH + "timezone",
            line,
        )
        return None
    if name is not None and not is_zone(name):
        problems.add(f"'{name}' {ZONE_HINT}", _PATH + "timezone", entry.line)
        return None
    return name


def _stale_after(entry: Located | None, problems: Problems) -> timedelta:
    if entry is None or entry.value is None:
        return DEFAULT_STALE_AFTER
    duration = parse_duration(entry.value)
    if isinstance(duration, str):
        problems.add(duration, _PATH + "stale_after", entry.line)
        return DEFAULT_STALE_AFTER
    return duration


def _values(
    section: LocatedMapping, status_type: str, problems: Problems
) -> tuple[frozenset[str], frozenset[str]]:
    """Up and down values, case-folded; a boolean status needs none (true is up)."""
    found = {}
    for key, default in (("up", DEFAULT_UP), ("down", DEFAULT_DOWN)):
        entry = section.get(key)
        if entry is not None and status_type == "boolean":
            problems.add(
                "is not for a boolean status: true is up, false down", _PATH + key, entry.line
            )
        if entry is None or entry.value is None:
            found[key] = frozenset(default)
            continue
        names = problems.names(entry, _PATH + key)
        found[key] = frozenset(name.strip().casefold() for name, _, _ in names)
    both = sorted(found["up"] & found["down"])
    if both:
        entry = section.get("down") or section.get("up")
        problems.add(
            f"{', '.join(both)} cannot be both up and down",
            _PATH + "down",
            entry.line if entry else None,
        )
    return found["up"], found["down"]


def _hours(entry: Located | None, tables: Collection[str], problems: Problems) -> str | None:
    name = problems.text(entry, _PATH + "hours")
    if name is None or entry is None:
        return None
    if not SOURCE_PATTERN.fullmatch(name) or name not in tables:
        known = ", ".join(sorted(tables)) or "none"
        problems.add(
            f"'{name}' is not a reference table (rules/reference/<name>.csv; known: {known})",
            _PATH + "hours",
            entry.line,
        )
        return None
    return name
