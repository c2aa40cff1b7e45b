"""CSV rows to events: each row becomes an :class:`Event`, or a rejection naming line, column and value.

This is the per-row hot path of an upload (a million rows is an ordinary file). A row goes first
through its source's generated converter (:mod:`.row_code`), which accepts a clean row for a
fraction of the careful path's cost; a row it does not accept is read again by
:class:`CarefulReader`, which rejects it with every problem it has, never only the first, as
events are. The converter accepts a row only as the careful path would, so which path read a row
never shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.events import EARLIEST, FUTURE_TOLERANCE, MAX_EVENT_ID_LENGTH, TYPE, Event
from chalicelib.domain.sources import CellError, HeaderMatch, SourceDefinition, join_id, read_cell
from chalicelib.domain.uploads.csv_scan import DECODE_FALLBACK, Record, readable, undecodable
from chalicelib.domain.uploads.row_code import row_converter


@dataclass(frozen=True)
class RowRejection:
    line: int
    cells: list[str]
    errors: tuple[Detail, ...]
    event_id: str | None = None


@dataclass(frozen=True)
class ReadRows:
    events: list[tuple[int, Event]]  # (line, event)
    rejections: list[RowRejection]


class RowReader:
    """Reads the rows of one upload: the header's slots, the source's rules, the landing time."""

    def __init__(
        self,
        definition: SourceDefinition,
        match: HeaderMatch,
        width: int,
        received_at: datetime,
        max_row_bytes: int,
    ) -> None:
        factory = row_converter(definition, match, width, max_row_bytes)
        self._convert = factory(received_at, received_at + FUTURE_TOLERANCE)
        self._careful = CarefulReader(definition, match, width, received_at, max_row_bytes)

    def read(self, records: Sequence[Record], clean: bool) -> ReadRows:
        """``clean`` is False when some bytes of the chunk did not decode: then every row takes
        the careful path, the one that checks cells for them."""
        events: list[tuple[int, Event]] = []
        rejections: list[RowRejection] = []
        convert, careful = self._convert, self._careful.row
        for record in records:
            event = convert(record.cells) if clean else None
            if event is None:
                outcome = careful(record, clean)
                if isinstance(outcome, RowRejection):
                    rejections.append(outcome)
                    continue
                event = outcome
            events.append((record.line, event))
        return ReadRows(events, rejections)


class CarefulReader:
    """One row at a time, cell by cell, gathering every problem: the path of every row the
    generated converter does not accept, so a rejection's messages come from here alone."""

    def __init__(
        self,
        definition: SourceDefinition,
        match: HeaderMatch,
        width: int,
        received_at: datetime,
        max_row_bytes: int,
    ) -> None:
        self._definition = definition
        self._slots = [(slot.index, slot.column.name, slot.header, slot) for slot in match.slots]
        self._absent = {column.name: column.default for column in match.absent}
        self._headers = {slot.column.name: slot.header for slot in match.slots}
        self._indexes = {slot.column.name: slot.index for slot in match.slots}
        self._width = width
        self._received_at = received_at
        self._latest = received_at + FUTURE_TOLERANCE
        self._max_row_bytes = max_row_bytes
        self._decimal = definition.decimal_separator
        self._encoding = definition.encoding

    def row(self, record: Record, clean: bool) -> Event | RowRejection:
        cells = record.cells
        if len(cells) != self._width:
            return self._reject(
                record,
                [Detail(f"has {len(cells)} cells; the header has {self._width}", line=record.line)],
            )
        size = self._size(cells)
        if size > self._max_row_bytes:
            return self._reject(
                record,
                [
                    Detail(
                        f"row is {size} bytes; the limit is {self._max_row_bytes}", line=record.line
                    )
                ],
            )
        values, problems = self._values(record, clean)
        return self._event(record, values, problems)

    def _size(self, cells: Sequence[str]) -> int:
        """Bytes as stored (UTF-8), the unit of the limit; counted only when characters could
        reach it, since no character takes more than four bytes."""
        size = sum(map(len, cells))
        if size * 4 <= self._max_row_bytes:
            return size
        return sum(len(cell.encode("utf-8", DECODE_FALLBACK)) for cell in cells)

    def _values(self, record: Record, clean: bool) -> tuple[dict[str, Any], list[Detail]]:
        """Each cell read by its column; a cell that fails is left out of the values."""
        values: dict[str, Any] = dict(self._absent)
        problems: list[Detail] = []
        for index, name, header, slot in self._slots:
            text = record.cells[index]
            if not clean and undecodable(text):
                problems.append(
                    Detail(
                        f"holds bytes that are not valid {self._encoding}",
                        line=record.line,
                        column=header,
                        value=readable(text, self._encoding),
                    )
                )
                continue
            try:
                values[name] = read_cell(slot, text, self._decimal)
            except CellError as exc:
                problems.append(Detail(exc.message, line=record.line, column=header, value=text))
        return values, problems

    def _event(
        self, record: Record, values: dict[str, Any], problems: list[Detail]
    ) -> Event | RowRejection:
        """The row-level checks run on the cells that were read, so a bad cell hides none."""
        definition = self._definition
        event_id = self._event_id(record, values, problems)
        occurred_at = self._occurred_at(record, values, problems)
        event_type = definition.event_type or self._type(record, values, problems)
        if problems or event_type is None or event_id is None:
            return self._reject(record, problems, event_id)
        data = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in values.items()
        }
        return Event(definition.source, event_type, event_id, occurred_at, self._received_at, data)

    def _event_id(
        self, record: Record, values: dict[str, Any], problems: list[Detail]
    ) -> str | None:
        names = self._definition.id_columns
        if any(name not in values for name in names):  # its cell was rejected already
            return None
        event_id = join_id([values[name] for name in names])
        if len(event_id) > MAX_EVENT_ID_LENGTH or not event_id.isprintable():
            problems.append(
                Detail(
                    f"the event id must be 1 to {MAX_EVENT_ID_LENGTH} printable characters",
                    line=record.line,
                    column=self._header_of(names[0]),
                    value=event_id,
                )
            )
        return event_id

    def _occurred_at(
        self, record: Record, values: dict[str, Any], problems: list[Detail]
    ) -> datetime:
        column = self._definition.occurred_at_column
        stamp = values.get(column) if column else None
        if not isinstance(stamp, datetime):
            return self._received_at
        if stamp > self._latest:
            problem = "is more than a day in the future"
        elif stamp < EARLIEST:
            problem = "is before 1970"
        else:
            return stamp
        problems.append(
            Detail(
                problem,
                line=record.line,
                column=self._header_of(column),
                value=self._written(record, column, stamp.isoformat()),
            )
        )
        return stamp

    def _type(self, record: Record, values: dict[str, Any], problems: list[Detail]) -> str | None:
        column = self._definition.type_column
        if column is None or column not in values:  # its cell was rejected already
            return None
        found: list[Detail] = []
        event_type = TYPE.normalize(str(values[column] or ""), found)
        problems.extend(
            Detail(
                one.message,
                line=record.line,
                column=self._header_of(column),
                value=self._written(record, column, one.value),
            )
            for one in found
        )
        return event_type

    def _header_of(self, name: str | None) -> str | None:
        return self._headers.get(name or "", name)

    def _written(self, record: Record, name: str | None, fallback: str) -> str:
        """The cell as the operator wrote it, to find in the file; a default has no cell."""
        index = self._indexes.get(name or "")
        return record.cells[index] if index is not None else fallback

    def _reject(
        self, record: Record, problems: list[Detail], event_id: str | None = None
    ) -> RowRejection:
        cells = [readable(cell, self._encoding) for cell in record.cells]
        return RowRejection(record.line, cells, tuple(problems), event_id)
