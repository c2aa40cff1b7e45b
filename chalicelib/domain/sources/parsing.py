"""Checking a source definition as a whole: :func:`parse_source_definition`.

The parser reports every problem with its line before a single file is read, so the per-row path
can trust what it gets. This module checks the top-level keys and how they refer to the columns
(``id``, ``type_column``, ``occurred_at``); the dialect and the column list have their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePath

from chalicelib.domain.errors import SourceDefinitionError
from chalicelib.domain.sources.columns import DeclaredColumn, declared_columns
from chalicelib.domain.sources.dialect import read_encoding, read_separators
from chalicelib.domain.sources.model import (
    SOURCE_PATTERN,
    TYPE_PATTERN,
    ColumnSpec,
    Located,
    LocatedMapping,
    SourceDefinition,
)
from chalicelib.domain.sources.problems import Problems
from chalicelib.domain.sources.retention import read_retention_days

SOURCE_KEYS = (
    "source",
    "description",
    "type",
    "type_column",
    "id",
    "occurred_at",
    "encoding",
    "delimiter",
    "decimal_separator",
    "columns",
    "derived",
    "lookups",
    "availability",
    "retention_days",
)  # enrichment: checked by rules.parsing.enrichment; availability by availability.parsing


def parse_source_definition(file: str, document: LocatedMapping) -> SourceDefinition:
    """Check a definition; raise :class:`SourceDefinitionError` listing every problem at once.

    ``file`` is only used to name the source (its stem) and to say where each problem is.
    """
    problems = Problems(file)
    problems.unknown_keys(document, SOURCE_KEYS, "")
    source = _source_name(file, document.get("source"), problems)
    description = problems.text(document.get("description"), "description", "") or ""
    encoding = read_encoding(document.get("encoding"), problems)
    delimiter, decimal = read_separators(document, encoding, problems)
    declared = declared_columns(document.get("columns"), problems)
    event_type, type_column = _event_type(document, declared, problems)
    id_columns = _id_columns(document.get("id"), declared, problems)
    occurred_at = _occurred_at(document.get("occurred_at"), declared, problems)
    retention_days = read_retention_days(document.get("retention_days"), problems)
    if problems.details or source is None or encoding is None or delimiter is None or not decimal:
        count = len(problems.details)
        raise SourceDefinitionError(
            f"{file}: {count} problem{'s' if count != 1 else ''} in the source definition",
            sorted(problems.details, key=lambda detail: detail.line or 0),
        )
    implied = {*id_columns, *([type_column] if type_column else [])}
    columns = tuple(
        _required_if(column.spec, implied)
        for column in declared.values()
        if column.spec is not None
    )
    return SourceDefinition(
        source,
        description,
        event_type,
        type_column,
        id_columns,
        occurred_at,
        encoding,
        delimiter,
        decimal,
        columns,
        retention_days,
    )


def _required_if(spec: ColumnSpec, implied: set[str]) -> ColumnSpec:
    return replace(spec, required=True) if spec.name in implied and not spec.required else spec


def _source_name(file: str, entry: Located | None, problems: Problems) -> str | None:
    stem = PurePath(file).stem
    given = problems.text(entry, "source")
    line = entry.line if entry is not None else None
    if given is not None and given != stem:
        problems.add(
            f"is '{given}' but the file is named '{stem}'; they must agree (or drop source:)",
            "source",
            line,
        )
        return None
    if not SOURCE_PATTERN.fullmatch(stem):
        problems.add(
            f"'{stem}' (the file's name) is not a source name: lower case letters, "
            "digits, '_' and '-', starting with a letter or digit, at most 64",
            "source",
            line,
        )
        return None
    return stem


def _event_type(
    document: LocatedMapping, declared: Mapping[str, DeclaredColumn], problems: Problems
) -> tuple[str | None, str | None]:
    entry, column_entry = _given(document, "type"), _given(document, "type_column")
    event_type = problems.text(entry, "type")
    type_column = problems.text(column_entry, "type_column")
    if entry is not None and column_entry is not None:
        problems.add("give either type or type_column, not both", "type_column", column_entry.line)
    elif entry is None and column_entry is None:
        problems.add(
            "one of type (the event type of every row) or type_column (the column "
            "holding each row's type) is required",
            "type",
            None,
        )
    if event_type is not None and entry is not None and not TYPE_PATTERN.fullmatch(event_type):
        problems.add(f"'{event_type}' must match {TYPE_PATTERN.pattern}", "type", entry.line)
    if type_column is not None and column_entry is not None:
        _role(type_column, "type_column", column_entry.line, declared, ("string",), problems)
    return event_type, type_column


def _given(document: LocatedMapping, key: str) -> Located | None:
    """The key's entry, or None when it is absent or left empty (``type:`` with no value)."""
    entry = document.get(key)
    return None if entry is None or entry.value is None else entry


def _id_columns(
    entry: Located | None, declared: Mapping[str, DeclaredColumn], problems: Problems
) -> tuple[str, ...]:
    if entry is None or entry.value is None:
        problems.add(
            "is required: the column, or list of columns, that identifies a row",
            "id",
            entry.line if entry else None,
        )
        return ()
    names = problems.names(entry, "id")
    seen: set[str] = set()
    for name, path, line in names:
        if name in seen:
            problems.add(f"'{name}' is listed twice", path, line)
        seen.add(name)
        _role(name, path, line, declared, (), problems)
    if isinstance(entry.value, tuple) and not entry.value:
        problems.add("must name at least one column", "id", entry.line)
    return tuple(name for name, _, _ in names)


def _occurred_at(
    entry: Located | None, declared: Mapping[str, DeclaredColumn], problems: Problems
) -> str | None:
    name = problems.text(entry, "occurred_at")
    if name is not None and entry is not None:
        _role(name, "occurred_at", entry.line, declared, ("timestamp",), problems, implied=False)
    return name


def _role(
    name: str,
    path: str,
    line: int,
    declared: Mapping[str, DeclaredColumn],
    types: tuple[str, ...],
    problems: Problems,
    *,
    implied: bool = True,
) -> None:
    """A column named by id, type_column or occurred_at: declared, of the right type, and (for
    id and type_column) implicitly required, which a default or ``required: false`` contradicts."""
    column = declared.get(name)
    if column is None:
        names = ", ".join(declared) or "none"
        problems.add(f"'{name}' is not a declared column (declared: {names})", path, line)
        return
    if column.spec is not None and types and column.spec.type not in types:
        problems.add(
            f"'{name}' is declared as {column.spec.type}; {path} must name a "
            f"{' or '.join(types)} column",
            path,
            line,
        )
    required, default = column.entry.get("required"), column.entry.get("default")
    if implied and required is not None and required.value is False:
        problems.add(
            f"'{name}' is named by {path.split('[')[0]}, so it is required; remove required: false",
            f"{column.path}.required",
            required.line,
        )
    if implied and default is not None and default.value is not None:
        problems.add(
            f"'{name}' is named by {path.split('[')[0]}, so it is required and cannot "
            "have a default",
            f"{column.path}.default",
            default.line,
        )
