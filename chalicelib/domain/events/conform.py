"""A declared source's columns as the schema of its JSON events' ``data``.

Rules are type-checked against the fields a source declares when they load, so ``amount * 2`` is
known to multiply numbers. That promise only holds if a JSON event of that source really carries a
number in ``amount``: this module checks each declared field an event carries (and the required
ones it must carry), so a value of the wrong type is refused with its field, like any other bad
event, instead of surfacing later as a rule failure. Fields the source does not declare pass
through untouched, and so do events of sources without a definition. A declared field the event
leaves out takes the column's default, so ``currency == "EUR"`` means the same for a posted
payment as for an uploaded one.

Columns that give a CSV row its id, type or time are not required in ``data``: a JSON event
carries those in its envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.events.model import Event
from chalicelib.domain.json_values import parse_timestamp
from chalicelib.domain.sources import (
    INT64_MAX,
    INT64_MIN,
    ColumnSpec,
    SourceCatalog,
    SourceDefinition,
)


def conform_event(event: Event, sources: SourceCatalog) -> Event | list[Detail]:
    """The event with its data conformed to its source's columns (unchanged when the source
    declares none); or every field that does not fit. The API and the processor both ask."""
    definition = sources.get(event.source)
    if definition is None:
        return event
    checked = conform_data(definition, event.data)
    return checked if isinstance(checked, list) else replace(event, data=checked)


def conform_data(
    definition: SourceDefinition, data: Mapping[str, Any]
) -> dict[str, Any] | list[Detail]:
    """``data`` with declared timestamps written in UTC and absent fields given their column's
    default (as an empty CSV cell would be); or every field that does not fit."""
    roles = {*definition.id_columns, definition.type_column, definition.occurred_at_column}
    conformed = dict(data)
    problems: list[Detail] = []
    for column in definition.columns:
        path = f"data.{column.name}"
        value = data.get(column.name)
        if value is None and column.default is not None:
            conformed[column.name] = column.default
            continue
        if value is None:
            if column.required and column.name not in roles:
                problems.append(Detail(f"is required by source '{definition.source}'", field=path))
            continue
        checked = _checked(column, value)
        if isinstance(checked, Problem):
            problems.append(Detail(checked.message, field=path, value=value))
        else:
            conformed[column.name] = checked
    return problems or conformed


class Problem:
    """Why one value does not fit its column (a value of its own: ``None`` is a valid value)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _checked(column: ColumnSpec, value: object) -> object:
    kind = column.type
    if kind == "string":
        return value if isinstance(value, str) else Problem(f"must be a string, {_not(value)}")
    if kind == "boolean":
        return (
            value if isinstance(value, bool) else Problem(f"must be true or false, {_not(value)}")
        )
    if kind in ("integer", "number"):
        return _number(kind, value)
    if kind == "timestamp":
        parsed = parse_timestamp(value)
        if isinstance(parsed, str):
            return Problem(parsed)
        return parsed.astimezone(UTC).isoformat()
    return _date(value)


def _number(kind: str, value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Problem(
            f"must be {'an integer' if kind == 'integer' else 'a number'}, {_not(value)}"
        )
    if kind == "integer" and not isinstance(value, int):
        if not value.is_integer():
            return Problem(f"must be an integer, not {value!r}")
        value = int(value)
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return Problem("is out of range for a 64-bit integer")
    return value


def _date(value: object) -> object:
    if not isinstance(value, str):
        return Problem(f"must be a date (YYYY-MM-DD), {_not(value)}")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return Problem("is not a date (YYYY-MM-DD)")


def _not(value: object) -> str:
    names = {str: "a string", bool: "true/false", list: "an array", dict: "an object"}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"not the number {value!r}"
    return f"not {names.get(type(value), type(value).__name__)}"
