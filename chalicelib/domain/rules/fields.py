"""The fields a rule may name, and their types: what a rule is checked against.

Every event has the top-level fields (``source``, ``type``, ``id`` and its two times); its data
fields are what its source declares: columns, looked-up columns and derived fields. A rule sees
the sources its ``source:`` names, or all of them. A field two sources declare differently is
``any`` (checked when the rule runs), except that an integer in one and a number in the other is
a number: arithmetic and comparisons treat them alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from chalicelib.domain.rules.enrichment import ReferenceTable

TOP_LEVEL_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "source": "string",
        "type": "string",
        "id": "string",
        "occurred_at": "timestamp",
        "received_at": "timestamp",
    }
)

_EMPTY: Mapping[str, ReferenceTable] = MappingProxyType({})


@dataclass(frozen=True)
class RuleCatalog:
    """What the rules are checked against: each source's data fields (name → type) and the
    reference tables (``entities_from``)."""

    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    references: Mapping[str, ReferenceTable] = field(default_factory=lambda: _EMPTY)

    def sources(self) -> tuple[str, ...]:
        return tuple(sorted(self.fields))

    def field_types(self, sources: Iterable[str] = ()) -> dict[str, str]:
        """The top-level fields and the data fields of ``sources`` (every source when empty).

        Top-level names win, as they do when a rule runs. Unknown sources add nothing.
        """
        chosen = list(sources) or list(self.fields)
        merged: dict[str, str] = {}
        for source in chosen:
            for name, declared in self.fields.get(source, {}).items():
                merged[name] = merge_types(merged.get(name), declared)
        return merged | dict(TOP_LEVEL_FIELDS)


def merge_types(seen: str | None, declared: str) -> str:
    """One field's type across sources: the same, integer with number, or ``any``."""
    if seen is None or seen == declared:
        return declared
    if {seen, declared} == {"integer", "number"}:
        return "number"
    return "any"
