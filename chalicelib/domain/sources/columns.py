"""The ``columns:`` list of a source definition, checked entry by entry.

Each entry becomes a :class:`~chalicelib.domain.sources.model.ColumnSpec` only when everything
about it is valid, its converter and its default included, so a bad format or default fails at
load rather than on the first row. Entries are kept as written (:class:`DeclaredColumn`) for the
checks of ``id``, ``type_column`` and ``occurred_at``, which look at keys a spec no longer has.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from chalicelib.domain.sources.cells import CellError
from chalicelib.domain.sources.formats import format_problem
from chalicelib.domain.sources.model import (
    COLUMN_TYPES,
    ColumnSpec,
    Located,
    LocatedMapping,
    normalize_header,
)
from chalicelib.domain.sources.problems import Problems, yaml_kind

FIELD_NAME_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,63}")
COLUMN_KEYS = ("name", "type", "required", "default", "aliases", "format", "timezone")


@dataclass(frozen=True)
class DeclaredColumn:
    """A column entry as written: its spec when the entry is valid, its mapping for later checks."""

    name: str
    spellings: tuple[tuple[str, str, int], ...]  # (text, path, line): the name, then the aliases
    spec: ColumnSpec | None
    entry: LocatedMapping
    path: str
    line: int


def declared_columns(entry: Located | None, problems: Problems) -> dict[str, DeclaredColumn]:
    """Every entry of ``columns:`` that has a usable name, by name, in the order written."""
    if entry is None or not isinstance(entry.value, tuple) or not entry.value:
        absent = entry is None or entry.value is None
        problems.add(
            f"{'is required: a' if absent else 'must be a non-empty'} list of columns, "
            "each with at least name and type",
            "columns",
            entry.line if entry else None,
        )
        return {}
    declared: dict[str, DeclaredColumn] = {}
    owners: dict[str, tuple[str, int]] = {}  # normalised spelling -> (column name, line)
    for index, item in enumerate(entry.value):
        column = _column(item, f"columns[{index}]", problems)
        if column is None:
            continue
        name = column.name
        if name in declared:
            problems.add(
                f"column '{name}' is declared twice (first at line "
                f"{declared[name].spellings[0][2]})",
                *column.spellings[0][1:],
            )
            continue
        _claim_spellings(name, column, owners, problems)
        declared[name] = column
    return declared


def _claim_spellings(
    name: str, column: DeclaredColumn, owners: dict[str, tuple[str, int]], problems: Problems
) -> None:
    """Two columns a header could both name are one mistake; say which spellings collide."""
    for spelling, path, line in column.spellings:
        key = normalize_header(spelling)
        if not key:
            problems.add(
                f"'{spelling}' has no letters or digits, so no header can match it", path, line
            )
        elif key in owners and owners[key][0] != name:
            other, first = owners[key]
            problems.add(
                f"'{spelling}' reads as the same header as column '{other}' (line "
                f"{first}); headers are compared ignoring case, spaces and punctuation",
                path,
                line,
            )
        else:
            owners.setdefault(key, (name, line))


def _column(item: Located, path: str, problems: Problems) -> DeclaredColumn | None:
    if not isinstance(item.value, Mapping):
        problems.add(
            f"must be a mapping with name and type, not {yaml_kind(item.value)}", path, item.line
        )
        return None
    entry, before = item.value, len(problems.details)
    problems.unknown_keys(entry, COLUMN_KEYS, path + ".")
    name = _field_name(entry.get("name"), path, item.line, problems)
    column_type = _column_type(entry.get("type"), path, item.line, problems)
    required = problems.flag(entry.get("required"), f"{path}.required")
    aliases = entry.get("aliases")
    alias_entries = (
        problems.names(aliases, f"{path}.aliases")
        if aliases is not None and aliases.value is not None
        else []
    )
    alias_names = tuple(text for text, _, _ in alias_entries)
    converter_problems = len(problems.details)
    fmt = _format(entry.get("format"), column_type, path, problems)
    zone = _timezone(entry.get("timezone"), column_type, path, problems)
    spec = None
    if column_type is not None and len(problems.details) == converter_problems:
        # built even for a bad name, so that a bad default is reported in the same pass
        spec = ColumnSpec(name or "_", column_type, required, None, alias_names, fmt, zone)
        spec = replace(spec, default=_default(entry.get("default"), spec, path, problems))
    if name is None:
        return None
    valid = spec is not None and len(problems.details) == before
    spellings = ((name, f"{path}.name", entry["name"].line), *alias_entries)
    return DeclaredColumn(name, spellings, spec if valid else None, entry, path, item.line)


def _field_name(entry: Located | None, path: str, line: int, problems: Problems) -> str | None:
    if entry is None or entry.value is None:
        problems.add("is required", f"{path}.name", line)
        return None
    name = problems.text(entry, f"{path}.name")
    if name is None:
        return None
    if not FIELD_NAME_PATTERN.fullmatch(name):
        problems.add(
            f"'{name}' is not a field name: lower case letters, digits and '_', starting "
            "with a letter or '_', at most 64; put the file's spelling in aliases",
            f"{path}.name",
            entry.line,
        )
        return None
    if keyword.iskeyword(name):
        problems.add(
            f"'{name}' is a reserved word in rule expressions; name the field otherwise "
            f"and keep '{name}' as an alias",
            f"{path}.name",
            entry.line,
        )
        return None
    return name


def _column_type(entry: Located | None, path: str, line: int, problems: Problems) -> str | None:
    if entry is None or entry.value is None:
        problems.add(f"is required: one of {', '.join(COLUMN_TYPES)}", f"{path}.type", line)
        return None
    given = problems.text(entry, f"{path}.type")
    if given is None or given in COLUMN_TYPES:
        return given
    close = difflib.get_close_matches(given, COLUMN_TYPES, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    problems.add(
        f"'{given}' is not a column type: one of {', '.join(COLUMN_TYPES)}{hint}",
        f"{path}.type",
        entry.line,
    )
    return None


def _format(
    entry: Located | None, column_type: str | None, path: str, problems: Problems
) -> str | None:
    fmt = problems.text(entry, f"{path}.format")
    if fmt is None or entry is None:
        return None
    problem = None
    if column_type not in ("timestamp", "date", None):
        problem = "is only for timestamp and date columns"
    elif column_type is not None:
        problem = format_problem(fmt, column_type)
    if problem:
        problems.add(problem, f"{path}.format", entry.line)
        return None
    return fmt


def _timezone(
    entry: Located | None, column_type: str | None, path: str, problems: Problems
) -> str | None:
    name = problems.text(entry, f"{path}.timezone")
    if name is None or entry is None:
        return None
    if column_type not in ("timestamp", None):
        problems.add("is only for timestamp columns", f"{path}.timezone", entry.line)
        return None
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        problems.add(
            f"'{name}' is not an IANA time zone (e.g. Europe/Berlin, UTC)",
            f"{path}.timezone",
            entry.line,
        )
        return None
    return name


def _default(entry: Located | None, spec: ColumnSpec, path: str, problems: Problems) -> object:
    """The default read as a cell would be (with '.' for decimals), so a bad one fails at load."""
    if entry is None or entry.value is None:
        return None
    value = entry.value
    if spec.required:
        problems.add(
            "a required column cannot have a default: required means every row gives a "
            "value; drop one of the two",
            f"{path}.default",
            entry.line,
        )
        return None
    if spec.type == "string" and not isinstance(value, str):
        problems.add(
            f"must be a string, not {yaml_kind(value)}; quote it", f"{path}.default", entry.line
        )
        return None
    text = "" if isinstance(value, tuple | Mapping) else str(value).strip()
    if not text:
        problems.add(
            f"must be a single non-empty value, not {yaml_kind(value)}; leave default out for none",
            f"{path}.default",
            entry.line,
        )
        return None
    try:
        return spec.convert(text, ".")
    except CellError as exc:
        problems.add(f"{value!r} {exc.message}", f"{path}.default", entry.line)
        return None
