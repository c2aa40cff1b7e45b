"""CSV source definitions as checked values: what an operator's file must look like.

A definition (``rules/sources/<source>.yaml``) is checked once, when the rules are loaded
(:mod:`~chalicelib.domain.sources.parsing`), so the per-row path can trust these values: every
column carries its converter built in advance and header spellings are normalised once. YAML is
the adapter's business; the parser takes :class:`Located` values, which keeps the domain pure and
its line numbers honest.

It imports only :mod:`~chalicelib.domain.sources.cells`, whose converters the columns hold, so every other
source module can build on it without an import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeAlias

from chalicelib.domain.sources.cells import CellError, Converter, converter_for

# What a source and an event type may be called: the API checks events' names, and source
# definitions their own name and declared types, against the same two patterns. A type may have
# inner spaces, as Segment's event names do ("Order Completed"), never a leading or trailing one.
SOURCE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
TYPE_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.:/ -]{0,126}[A-Za-z0-9_.:/-])?")
COLUMN_TYPES = ("string", "integer", "number", "boolean", "timestamp", "date")
ID_SEPARATOR = ":"

Scalar: TypeAlias = str | int | float | bool | None


# --- the located input: what the YAML adapter hands over ----------------------------------------


@dataclass(frozen=True, slots=True)
class Located:
    """A value from a rules file and the 1-based line it was written on.

    Values in a mapping carry their key's line (where an operator looks for ``columns:``); list
    items carry their own. Mappings are ``Mapping[str, Located]``, lists ``tuple[Located, ...]``,
    scalars are YAML's own (YAML timestamps arrive as their text, to be read like a cell).

    A problem inside a value (a rule's expression) is reported at its own column, so the value
    also says where it starts: ``column`` (1-based) and, when that is not its key's line,
    ``value_line``. ``style`` says how a scalar was written, as far as mapping a position in its
    text back to the file needs: ``plain``, ``quoted`` (the text starts one column later),
    ``block`` (``|`` or ``>``: the text starts on the next line), or ``inexact`` (written over
    several lines, or with escapes: only the line is known). None for lists and mappings.
    """

    value: LocatedValue
    line: int
    column: int | None = None
    value_line: int | None = None
    style: str | None = None


LocatedValue: TypeAlias = "Scalar | tuple[Located, ...] | Mapping[str, Located]"
LocatedMapping: TypeAlias = Mapping[str, Located]


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One declared column. ``default`` is already converted: it is what :func:`read_cell` returns.

    ``convert`` is built once here from ``type``, ``format`` and ``timezone`` so the row loop does
    no dispatch. It sees only stripped, non-empty text: call :func:`read_cell`, which handles
    empty cells, or do as it does (the generated row converters of ``uploads`` call ``convert``
    in place).
    """

    name: str
    type: str
    required: bool = False
    default: object | None = None
    aliases: tuple[str, ...] = ()
    format: str | None = None
    timezone: str | None = None
    convert: Converter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "convert", converter_for(self.type, self.format, self.timezone))

    @property
    def spellings(self) -> tuple[str, ...]:
        """The header texts that name this column, as the definition writes them."""
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class SourceDefinition:
    """A checked source: exactly one of ``event_type`` and ``type_column`` is set."""

    source: str
    description: str
    event_type: str | None
    type_column: str | None
    id_columns: tuple[str, ...]
    occurred_at_column: str | None
    encoding: str
    delimiter: str
    decimal_separator: str
    columns: tuple[ColumnSpec, ...]
    retention_days: int | None = None  # None: the default retention (TRIPLINE_RETENTION_DAYS)
    by_header: Mapping[str, ColumnSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys: dict[str, ColumnSpec] = {}
        for column in self.columns:
            for spelling in column.spellings:
                keys.setdefault(normalize_header(spelling), column)
        object.__setattr__(self, "by_header", MappingProxyType(keys))

    def column(self, name: str) -> ColumnSpec | None:
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True, slots=True)
class FieldSlot:
    """A declared column found in a file: ``index`` into each row, ``header`` as written (stripped).

    ``index`` counts header cells from 0: the cell is ``row[slot.index]``.
    """

    index: int
    column: ColumnSpec
    header: str


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """A header that fits its definition: the slots in file order, and the declared columns the
    file does not have (all optional; each row takes their ``default``, or None)."""

    slots: tuple[FieldSlot, ...]
    absent: tuple[ColumnSpec, ...]


@dataclass(frozen=True)
class SourceCatalog:
    """Every source definition by name, as loaded from ``rules/sources/``."""

    definitions: Mapping[str, SourceDefinition] = field(default_factory=dict)

    def get(self, name: str) -> SourceDefinition | None:
        return self.definitions.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.definitions))

    def __contains__(self, name: object) -> bool:
        return name in self.definitions


def normalize_header(text: str) -> str:
    """``Event ID``, ``event_id``, ``eventId`` and ``EVENT-ID`` are one column: ``eventid``."""
    return "".join(character for character in text.casefold() if character.isalnum())


def join_id(values: Sequence[object]) -> str:
    """A row's event id from its id columns' values, in ``id`` order, joined with ``:``.

    Values are written so that one instant or one number always gives one id, whatever the
    file's notation was (``+01:00`` or ``Z``, ``1,50`` or ``1.5``): re-uploads must dedupe.
    """
    return ID_SEPARATOR.join(_id_text(value) for value in values)


def _id_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


# --- reading a cell: the per-row hot path (the converters are in cells.py) -----------------------


def read_cell(slot: FieldSlot, text: str, decimal_separator: str) -> object:
    """The cell's value (str, int, float, bool, ISO date str, aware UTC datetime, or None).

    Raises :class:`CellError` saying what was expected. An empty cell (after stripping) takes the
    column's default, else None when the column is optional.
    """
    text = text.strip()
    if text:
        return slot.column.convert(text, decimal_separator)
    column = slot.column
    if column.default is not None:
        return column.default
    if not column.required:
        return None
    raise CellError("is required")
