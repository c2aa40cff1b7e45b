"""Everything in ``rules/``, checked and compiled: sources, enrichments, reference tables, rules.

One value, built once per container by the rule-file adapter, that the event path asks for what
to add to an event (:meth:`RuleBook.enrich`) and which rules to run, and that a dry-run checks an
inline rule against (:meth:`RuleBook.catalog`), so a rule is judged by the same fields whether
it came from a file or from an HTTP request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from chalicelib.domain.rules.enrichment import Enrichment, ReferenceTable
from chalicelib.domain.rules.fields import RuleCatalog
from chalicelib.domain.rules.model import Rule
from chalicelib.domain.sources import SourceCatalog


@dataclass(frozen=True)
class RuleBook:
    """``rules`` holds every rule, enabled or not, sorted by id."""

    sources: SourceCatalog = field(default_factory=SourceCatalog)
    enrichments: Mapping[str, Enrichment] = field(default_factory=dict)
    references: Mapping[str, ReferenceTable] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    catalog: RuleCatalog = field(init=False, repr=False, compare=False)
    _by_id: Mapping[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(sorted(self.rules, key=lambda rule: rule.id)))
        object.__setattr__(self, "_by_id", MappingProxyType({r.id: r for r in self.rules}))
        object.__setattr__(
            self, "catalog", rule_catalog(self.sources, self.enrichments, self.references)
        )

    def rule(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def field_types(self, sources: Sequence[str] = ()) -> dict[str, str]:
        """Top-level and data fields of ``sources`` (all when empty), as a rule sees them."""
        return self.catalog.field_types(sources)

    def enrich(self, source: str, data: Mapping[str, object]) -> Mapping[str, object]:
        """``data`` with the source's looked-up and derived fields, as a new dict; ``data``
        itself (the same object) when the source adds nothing, so callers can tell."""
        enrichment = self.enrichments.get(source)
        return data if enrichment is None else enrichment.apply(data)


def rule_catalog(
    sources: SourceCatalog,
    enrichments: Mapping[str, Enrichment],
    references: Mapping[str, ReferenceTable],
) -> RuleCatalog:
    """Each source's data fields: its columns, then what its enrichment adds."""
    fields: dict[str, Mapping[str, str]] = {}
    for name, definition in sources.definitions.items():
        declared = {column.name: column.type for column in definition.columns}
        enrichment = enrichments.get(name)
        if enrichment is not None:
            declared |= enrichment.field_types()
        fields[name] = MappingProxyType(declared)
    return RuleCatalog(MappingProxyType(fields), MappingProxyType(dict(references)))
