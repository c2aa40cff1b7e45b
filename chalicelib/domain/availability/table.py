"""Checking a business-hours table (``rules/reference/<table>.csv``) into an :class:`HoursTable`.

One row per entity, a week at a glance, so an operator edits one line in git and a reviewer sees
it: the first column is the entity, then ``timezone`` and one column per weekday, ``mon`` to
``sun``. A day cell is ``closed``, ``24h``, or intervals ``HH:MM-HH:MM`` separated by spaces or
``;`` (``09:00-12:00 13:00-17:30``); an interval that closes at or before it opens runs past
midnight into the next day (``22:00-02:00``; Sunday's into Monday's); ``24:00`` closes at
midnight. A row whose seven day cells are all empty has no hours: open 24x7. Otherwise an empty
day cell is a mistake (was it closed, or forgotten?). Other columns (a note) are ignored.
The adapter reads the CSV; this module judges the cells, every problem with its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from types import MappingProxyType

from chalicelib.domain.availability.model import EntityHours, HoursTable, Opening
from chalicelib.domain.availability.zones import ZONE_HINT, is_zone
from chalicelib.domain.errors import Detail

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIMEZONE = "timezone"
_INTERVAL = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)-(?:([01]?\d|2[0-3]):([0-5]\d)|(24):(00))")
_SEPARATORS = re.compile(r"[\s;]+")


def parse_hours_table(
    file: str, header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
) -> HoursTable | list[Detail]:
    """The table, or every problem; ``rows`` are (line, cells) with blank lines left out.
    Column names compare case-insensitively; duplicate keys are refused (which row would win?)."""
    names = [cell.strip().casefold() for cell in header]
    missing = [name for name in (TIMEZONE, *DAYS) if name not in names[1:]]
    if not names or missing:
        return [
            Detail(
                f"the header lacks {', '.join(missing)}; expected: entity,timezone,"
                + ",".join(DAYS),
                line=1,
                file=file,
            )
        ]
    zone_at, day_at = names.index(TIMEZONE, 1), [names.index(day, 1) for day in DAYS]
    table: dict[str, EntityHours] = {}
    problems: list[Detail] = []
    for line, cells in rows:
        found = _row(line, cells, len(names), zone_at, day_at, table)
        if isinstance(found, EntityHours):
            table[found.entity] = found
        else:
            problems.extend(
                Detail(message, field=column, line=line, column=column, file=file)
                for message, column in found
            )
    return problems or MappingProxyType(table)


def _row(
    line: int,
    cells: Sequence[str],
    width: int,
    zone_at: int,
    day_at: list[int],
    table: dict[str, EntityHours],
) -> EntityHours | list[tuple[str, str | None]]:
    if len(cells) != width:
        return [(f"has {len(cells)} cells; the header has {width}", None)]
    entity, zone = cells[0].strip(), cells[zone_at].strip()
    problems: list[tuple[str, str | None]] = []
    if not entity:
        problems.append(("the entity (first column) is empty", None))
    elif entity in table:
        problems.append((f"duplicate entity '{entity}' (first at line {table[entity].line})", None))
    if zone and not is_zone(zone):
        problems.append((f"'{zone}' {ZONE_HINT}", TIMEZONE))
    texts = [cells[index].strip() for index in day_at]
    week: list[Opening] | None = None if not any(texts) else []
    for day, text in enumerate(texts):
        if week is None:
            break
        parsed = _day(day, text)
        if isinstance(parsed, str):
            problems.append((parsed, DAYS[day]))
        else:
            week.extend(parsed)
    if problems:
        return problems
    return EntityHours(entity, zone or None, None if week is None else tuple(week), line)


def _day(day: int, text: str) -> list[Opening] | str:
    """One day cell's openings, or why it is not one."""
    lowered = text.casefold()
    if not lowered:
        return "is empty; write closed, 24h or the hours (09:00-17:00), or leave every day empty for 24x7"
    if lowered == "closed":
        return []
    if lowered == "24h":
        return [Opening(day, 0, 1440)]
    openings = []
    for part in _SEPARATORS.split(lowered.strip(" ;")):
        found = _INTERVAL.fullmatch(part)
        if found is None:
            return f"'{part}' is not an interval such as 09:00-17:00 (or closed, 24h)"
        opens = int(found[1]) * 60 + int(found[2])
        closes = 1440 if found[5] else int(found[3]) * 60 + int(found[4])
        if opens == closes:
            return f"'{part}' opens and closes at once; write 24h for a whole day"
        openings.append(Opening(day, opens, closes))
    return openings
