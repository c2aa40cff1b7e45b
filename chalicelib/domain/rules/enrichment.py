"""What a source adds to each of its events before rules see them: lookups and derived fields.

A source definition may declare ``lookups:`` (columns of a reference table, ``rules/reference/
<name>.csv``, found by the value of one of the event's fields) and ``derived:`` (fields computed
by expressions). Both are stored with the event, so a rule, a dry-run over stored events and a
person reading the event later all see the same values; that is also why a derived field may not
use ``ago()``: its value would depend on when it was computed.

Lookups run first, then derived fields in the order they are declared, so a derived field may use
looked-up columns and the derived fields above it. A miss (no such key, or a null key) gives null
columns; a derived field that fails on an event (a division by zero, a value of the wrong type)
is null for that event: enrichment never rejects an event, the rules report their own failures.

The checking of the declarations is :mod:`~chalicelib.domain.rules.parsing.enrichment`; this
module holds the checked values and :meth:`Enrichment.apply`, which runs once per event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from chalicelib.domain.expressions import EVALUATION_ERRORS, CompiledExpression

# ``ago()`` is refused in derived fields, so the evaluation time never matters; a fixed one keeps
# apply() free of the clock.
_NO_CLOCK = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReferenceTable:
    """``rules/reference/<name>.csv``: the first column is the key, every value is a string.

    ``rows`` maps each key to its row's cells (the key included), in file order.
    """

    name: str
    file: str
    columns: tuple[str, ...]
    rows: Mapping[str, tuple[str, ...]]

    @property
    def key_column(self) -> str:
        return self.columns[0]

    def projection(self, columns: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """Each key's values of ``columns`` (which must be columns of the table), in that order."""
        indexes = [self.columns.index(name) for name in columns]
        return {key: tuple(row[index] for index in indexes) for key, row in self.rows.items()}


@dataclass(frozen=True)
class Lookup:
    """``columns`` of ``reference`` for the row whose key equals the event's ``key`` field.

    ``values`` is the table projected once, when the rules load, to exactly those columns.
    """

    reference: str
    key: str
    columns: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]] = field(repr=False)

    def apply(self, into: dict[str, object]) -> None:
        key = _key_text(into.get(self.key))
        row = self.values.get(key) if key is not None else None
        if row is None:
            for name in self.columns:
                into[name] = None
            return
        for name, value in zip(self.columns, row, strict=True):
            into[name] = value


@dataclass(frozen=True)
class DerivedField:
    """``name`` computed by ``expression``; ``type`` is the expression's static result type."""

    name: str
    type: str
    expression: CompiledExpression


@dataclass(frozen=True)
class Enrichment:
    """Everything one source adds to its events; ``timestamps`` are the declared timestamp
    columns the derived expressions read, which they compare as times, not as stored text (only
    those are parsed, once per event)."""

    source: str
    lookups: tuple[Lookup, ...] = ()
    derived: tuple[DerivedField, ...] = ()
    timestamps: frozenset[str] = frozenset()

    def field_types(self) -> dict[str, str]:
        """The fields this enrichment adds, with their types (looked-up values are strings)."""
        types = {name: "string" for lookup in self.lookups for name in lookup.columns}
        return types | {derived.name: derived.type for derived in self.derived}

    def apply(self, data: Mapping[str, object]) -> dict[str, object]:
        """A new dict: ``data`` with the looked-up and derived fields added."""
        enriched = dict(data)
        for lookup in self.lookups:
            lookup.apply(enriched)
        if not self.derived:
            return enriched
        fields = dict(enriched)  # what the expressions read: declared timestamps as times
        for name in self.timestamps:
            if name in fields:
                fields[name] = _as_time(fields[name])
        for derived in self.derived:
            try:
                value = derived.expression.evaluate(fields, _NO_CLOCK)
            except EVALUATION_ERRORS:
                value = None
            fields[derived.name] = value
            enriched[derived.name] = _stored(value)
        return enriched


def _key_text(value: object) -> str | None:
    """Reference keys are text; an integer key field finds the row written with its digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _as_time(value: object) -> object:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def _stored(value: object) -> object:
    """A derived value as events store values: times as UTC ISO text (like declared
    timestamps), dates as ISO text; anything JSON cannot carry is null."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return None
