"""A source's clean rows to events by one generated function per definition and header.

The careful path (:class:`~chalicelib.domain.uploads.rows.CarefulReader`) reads a row cell by
cell, gathering every problem with its line, column and value: what a rejected row needs, and
bookkeeping a clean row pays for too. So, as the expression compiler does for rules, the work of
a row is written out once per source definition and header as the source of one Python function,
compiled once: each cell read in place (a string is only stripped, the common
``YYYY-MM-DDTHH:MM:SSZ`` timestamp parsed once and its stored text cut from the cell instead of
formatted back, every other type through its column's own converter), the id, time and type
checked inline, the event built in one call. For the ``shop`` source::

    def _row(_cells):
        if _len(_cells) != 8 or _sum(_map(_len, _cells)) > 8192:
            return None
        try:
            _v0 = _cells[0].strip()
            if not _v0:
                return None
            _t = _cells[1].strip()
            ...
        except _refusals:
            return None
        ...
        return _event(_k0, _k1, _id, _at, _received, {_k2: _v0, _k3: _i1, ...})

The function answers None for a row it does not accept and says nothing about why: the reader
reads that row again on the careful path, whose messages stay the only ones. So this path has
one duty, to accept a row only as the careful path would accept it, giving the same event.

Nothing the operator wrote becomes source text: column names, defaults, the source, the event
type and the converters are constants in the function's namespace under names of our own
(``_k0`` …); the text holds only those names, cell indexes and limits (our integers). The
function runs with empty ``__builtins__``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import cast

from chalicelib.domain.events import EARLIEST, MAX_EVENT_ID_LENGTH, TYPE, Event
from chalicelib.domain.sources import CellError, ColumnSpec, HeaderMatch, SourceDefinition, join_id

RowConverter = Callable[[list[str]], Event | None]
# received_at and the latest occurred_at accepted: per chunk, so bound after the code is cached
ConverterFactory = Callable[[datetime, datetime], RowConverter]


def _event_type(value: object) -> str | None:
    """The type ``TYPE.normalize`` gives a type cell's value, or None where it finds a problem."""
    text = str(value or "").strip()
    return text if TYPE.pattern.fullmatch(text) else None


HELPERS: dict[str, object] = {
    "_len": len,
    "_int": int,
    "_float": float,
    "_sum": sum,
    "_map": map,
    "_isinstance": isinstance,
    "_datetime": datetime,
    "_fromiso": datetime.fromisoformat,
    "_join_id": join_id,
    "_event": Event,
    "_event_type": _event_type,
    "_earliest": EARLIEST,
    # what a converter or an inline read raises for a cell the careful path refuses
    "_refusals": (CellError, ValueError, OverflowError),
}


# Cells read in place, as their converters would read them: up to 18 ASCII digits are an integer
# in range, and fewer than 300 ASCII digits with at most one '.' a finite number. Any other cell
# goes to the converter.
_PLAIN = {
    "integer": "_int(_t) if _len(_t) < 19 and _t.isdigit() and _t.isascii()",
    "number": '_float(_t) if _len(_t) < 300 and _t.replace(".", "", 1).isdigit() and _t.isascii()',
}


@lru_cache(maxsize=64)
def row_converter(
    definition: SourceDefinition, match: HeaderMatch, width: int, max_row_bytes: int
) -> ConverterFactory:
    """The compiled factory for one source and header; a chunk binds its landing time to it.

    Cached: every chunk of an upload asks again, with equal (frozen, hashable) arguments.
    """
    writer = _Writer(definition, max_row_bytes)
    source = writer.source(match, width)
    namespace: dict[str, object] = {"__builtins__": {}, **HELPERS, **writer.constants}
    code = compile(source, "<row converter>", "exec", dont_inherit=True)
    # the code is ours, built from the checked definition; operators' text reaches it only as
    # namespace constants under our own names
    exec(code, namespace)  # noqa: S102
    return cast(ConverterFactory, namespace["_make"])


class _Writer:
    """Writes the source of ``_make``; each column's value and stored text are kept by name."""

    def __init__(self, definition: SourceDefinition, max_row_bytes: int) -> None:
        self.definition = definition
        self.max_chars = max_row_bytes // 4  # no character takes more than four bytes
        self.constants: dict[str, object] = {}
        self.values: dict[str, str] = {}  # column name -> its value's expression
        self.stored: dict[str, str] = {}  # column name -> its expression in the event's data
        self.decimal = self.constant(definition.decimal_separator)

    def constant(self, value: object) -> str:
        if value is None:
            return "None"
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def source(self, match: HeaderMatch, width: int) -> str:
        for column in match.absent:
            self.values[column.name] = self.constant(column.default)
            self.stored[column.name] = self.constant(_stored(column.default))
        cells: list[str] = []
        for number, slot in enumerate(match.slots):
            cells.extend(self.cell(number, slot.index, slot.column))
        data = ", ".join(f"{self.constant(name)}: {value}" for name, value in self.stored.items())
        head = [
            "def _make(_received, _latest):",
            "    def _row(_cells):",
            f"        if _len(_cells) != {int(width)} or _sum(_map(_len, _cells)) > {self.max_chars}:",
            "            return None",
            "        try:",
        ]
        tail = [
            "        except _refusals:",
            "            return None",
            *(f"        {line}" for line in [*self.event_id(), *self.occurred_at(), *self.type()]),
            f"        return _event({self.constant(self.definition.source)}, _type, _id, _at, "
            f"_received, {{{data}}})",
            "    return _row",
        ]
        body = cells or ["pass"]
        return "\n".join([*head, *(f"            {line}" for line in body), *tail])

    def cell(self, number: int, index: int, column: ColumnSpec) -> list[str]:
        """Lines that set ``_v<number>`` (and the stored text) from ``_cells[index]``."""
        value, cell = f"_v{number}", f"_cells[{int(index)}].strip()"
        self.values[column.name] = self.stored[column.name] = value
        if column.type == "string":  # its converter is the identity
            if column.required:
                return [f"{value} = {cell}", f"if not {value}:", "    return None"]
            return [f"{value} = {cell} or {self.constant(column.default)}"]
        read = self.read(number, column)
        if column.required:
            return [f"_t = {cell}", "if not _t:", "    return None", *read]
        empty = [f"{value} = {self.constant(column.default)}"]
        if column.type == "timestamp":
            empty.append(f"_i{number} = {self.constant(_stored(column.default))}")
        return [
            f"_t = {cell}",
            "if _t:",
            *(f"    {line}" for line in read),
            "else:",
            *(f"    {line}" for line in empty),
        ]

    def read(self, number: int, column: ColumnSpec) -> list[str]:
        """A non-empty cell ``_t`` read as its column does; a timestamp's stored text too."""
        value, convert = f"_v{number}", f"{self.constant(column.convert)}(_t, {self.decimal})"
        if column.type == "timestamp":
            return self.timestamp(number, column, convert)
        plain = _PLAIN.get(column.type)
        if plain is None or (column.type == "number" and self.definition.decimal_separator != "."):
            return [f"{value} = {convert}"]
        return [f"{value} = {plain} else {convert}"]

    def timestamp(self, number: int, column: ColumnSpec, convert: str) -> list[str]:
        value = f"_v{number}"
        text = self.stored[column.name] = f"_i{number}"
        lines = [f"{value} = {convert}", f"{text} = {value}.isoformat()"]
        if column.format is not None:
            return lines
        # Exact: a cell of this shape that fromisoformat reads is YYYY-MM-DDTHH:MM:SSZ (the
        # week date YYYY-Www-D has no '-' at 7), in UTC itself, which the converter's
        # astimezone keeps as it is, and isoformat would write the same digits with +00:00.
        # Hour 24 (ISO's end of a day) is left to the converter: 3.11 refuses it, and a Python
        # that reads it as the next midnight would not store these digits.
        return [
            'if _len(_t) == 20 and _t[4::3] == "--T::Z" and _t[11:13] != "24":',
            f"    {value} = _fromiso(_t)",
            f'    {text} = _t[:19] + "+00:00"',
            "else:",
            *(f"    {line}" for line in lines),
        ]

    def event_id(self) -> list[str]:
        names = self.definition.id_columns
        column = self.definition.column(names[0]) if len(names) == 1 else None
        if column is not None and column.type == "string" and column.required:
            joined = self.values[column.name]  # a required string is its own id
        else:
            joined = f"_join_id(({''.join(f'{self.values[name]}, ' for name in names)}))"
        return [
            f"_id = {joined}",
            f"if _len(_id) > {int(MAX_EVENT_ID_LENGTH)} or not _id.isprintable():",
            "    return None",
        ]

    def occurred_at(self) -> list[str]:
        name = self.definition.occurred_at_column
        if name is None:
            return ["_at = _received"]
        return [
            f"_at = {self.values[name]}",
            "if not _isinstance(_at, _datetime):",
            "    _at = _received",
            "elif _at > _latest or _at < _earliest:",
            "    return None",
        ]

    def type(self) -> list[str]:
        if self.definition.event_type is not None:
            return [f"_type = {self.constant(self.definition.event_type)}"]
        column = cast(str, self.definition.type_column)
        return [
            f"_type = _event_type({self.values[column]})",
            "if _type is None:",
            "    return None",
        ]


def _stored(value: object) -> object:
    """A value as the event's data holds it: a timestamp as its ISO text."""
    return value.isoformat() if isinstance(value, datetime) else value
