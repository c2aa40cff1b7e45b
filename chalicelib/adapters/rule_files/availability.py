"""``availability:`` sections of ``rules/sources/*.yaml`` and the hours tables they name →
:class:`SourceAvailability` per source, every problem with its file and line.

Kept apart from the rule book: events are judged without it, so a mistake here must not stop
event processing; the linter (:func:`~chalicelib.adapters.rule_files.rules.check_rules`) reports
it with everything else, and the report fails with it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import MappingProxyType

from chalicelib.adapters.rule_files.references import read_text
from chalicelib.adapters.rule_files.sources import display_name, read_definitions
from chalicelib.domain.availability import (
    HoursTable,
    SourceAvailability,
    parse_availability,
    parse_hours_table,
)
from chalicelib.domain.errors import Detail, SourceDefinitionError

_NO_HOURS: HoursTable = MappingProxyType({})


def load_availability(directory: Path) -> dict[str, SourceAvailability]:
    """Every source with an ``availability:`` section; raises :class:`SourceDefinitionError`
    listing every problem (in the definitions and the hours tables) at once."""
    found, details = read_availability(directory)
    if details:
        files = len({detail.file for detail in details})
        raise SourceDefinitionError(
            f"{len(details)} problem(s) in {files} file(s) under {directory.name}/", details
        )
    return found


def read_availability(directory: Path) -> tuple[dict[str, SourceAvailability], list[Detail]]:
    """What reads cleanly, and every problem; a source with a bad section is left out."""
    details: list[Detail] = []
    folder = directory / "reference"
    tables = {path.stem: path for path in folder.glob("*.csv")} if folder.is_dir() else {}
    found: dict[str, SourceAvailability] = {}
    hours_read: dict[str, HoursTable] = {}
    for file, document, definition in read_definitions(directory, details):
        try:
            settings = parse_availability(file, document, definition, tables)
        except SourceDefinitionError as exc:
            details.extend(exc.details)
            continue
        if settings is None:
            continue
        hours = _NO_HOURS
        if settings.hours is not None:
            if settings.hours not in hours_read:
                path = tables[settings.hours]
                read = read_hours_table(path, display_name(path, directory))
                if isinstance(read, list):
                    details.extend(read)
                    continue
                hours_read[settings.hours] = read
            hours = hours_read[settings.hours]
        found[settings.source] = SourceAvailability(settings, hours)
    return found, details


def read_hours_table(path: Path, file: str) -> HoursTable | list[Detail]:
    """One business-hours CSV (UTF-8, a byte-order mark is fine), judged by the domain."""
    text = read_text(path, file)
    if isinstance(text, list):
        return text
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        rows = []
        while True:
            line = reader.line_num + 1  # where the next row starts
            cells = next(reader, None)
            if cells is None:
                break
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
    except csv.Error as exc:
        return [Detail(f"is not valid CSV: {exc}", line=reader.line_num, file=file)]
    return parse_hours_table(file, header, rows)
