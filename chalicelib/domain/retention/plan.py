"""What one purge deletes: a cutoff per source, one for every other source, one per window rule.

A source's rows go by their own time: events and rule matches by ``occurred_at`` (what the KPIs
count them by, so a dashboard over the kept range shows what the tables hold), rejected items by
``rejected_at``; raw items go with their events, and a finished upload's stored chunk bytes (a
CSV row's raw form) are emptied once the upload was created before the cutoff. A source that declares ``retention_days`` keeps
its rows that long; every other source, and rows rejected before a source could be read, follow
``TRIPLINE_RETENTION_DAYS``, or stay when it is not set.

A threshold rule's window state (buckets, distinct tokens) aggregates events, so it goes when the
events it counted could: before the longest retention among the sources the rule reads. A rule
that reads a source kept for ever keeps its state (the schedule's pruning still drops what no
window needs). Alerts, their timelines and notifications are never purged: they are the record of
what happened, small, and what an incident review reads; an alert may then name a sample event
that is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.rules import Rule
from chalicelib.domain.sources import SourceCatalog

PURGED_TABLES = (
    "events",
    "raw_events",
    "rejected_items",
    "rule_matches",
    "upload_chunks",  # emptied (their bytes), not deleted: an upload's counts are its chunks'
    "rule_window_buckets",
    "rule_window_tokens",
)
OTHER_SOURCES = "(other sources)"


@dataclass(frozen=True)
class SourceCutoff:
    """Rows of ``source`` older than ``before``; ``source`` None: rows of every source not in
    ``except_sources`` (and rows without a source)."""

    source: str | None
    days: int
    before: datetime
    except_sources: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.source if self.source is not None else OTHER_SOURCES


@dataclass(frozen=True)
class RuleCutoff:
    """A threshold rule's window buckets and tokens starting before ``before``."""

    rule_id: str
    before: datetime

    @property
    def label(self) -> str:
        return f"rule {self.rule_id}"


@dataclass(frozen=True)
class PurgePlan:
    sources: tuple[SourceCutoff, ...]
    rules: tuple[RuleCutoff, ...]


def purge_plan(
    catalog: SourceCatalog, rules: Iterable[Rule], default_days: int | None, now: datetime
) -> PurgePlan:
    """The cutoffs as of ``now``: nothing at all when no source declares a retention and there
    is no default."""
    declared = {
        name: one.retention_days
        for name, one in sorted(catalog.definitions.items())
        if one.retention_days is not None
    }
    sources = [
        SourceCutoff(name, days, now - timedelta(days=days)) for name, days in declared.items()
    ]
    if default_days is not None:
        sources.append(
            SourceCutoff(None, default_days, now - timedelta(days=default_days), tuple(declared))
        )
    windows = []
    for rule in sorted(rules, key=lambda one: one.id):
        days = _longest_kept(rule, declared, default_days) if rule.threshold else None
        if days is not None:
            windows.append(RuleCutoff(rule.id, now - timedelta(days=days)))
    return PurgePlan(tuple(sources), tuple(windows))


def _longest_kept(rule: Rule, declared: Mapping[str, int], default: int | None) -> int | None:
    """The longest any source the rule reads is kept, or None if one is kept for ever."""
    if not rule.sources:  # every source: the declared ones, and all others at the default
        return None if default is None else max([default, *declared.values()])
    kept = [declared.get(source, default) for source in rule.sources]
    return None if any(days is None for days in kept) else max(d for d in kept if d is not None)


@dataclass
class PurgeCounts:
    """Rows deleted (or, in a dry run, past retention) by scope (a source, the other sources,
    a rule) and table; ``complete`` is False when a run stopped at its batch budget with rows
    still to go (the next run carries on)."""

    dry_run: bool
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    complete: bool = True

    def add(self, scope: str, table: str, count: int) -> None:
        if count:
            self.rows[(scope, table)] = self.rows.get((scope, table), 0) + count

    def total(self, table: str) -> int:
        return sum(count for (_, one), count in self.rows.items() if one == table)

    def as_dict(self) -> dict[str, Any]:
        scopes: dict[str, dict[str, int]] = {}
        for (scope, table), count in sorted(self.rows.items()):
            scopes.setdefault(scope, {})[table] = count
        return {
            "dry_run": self.dry_run,
            "complete": self.complete,
            "totals": {table: self.total(table) for table in PURGED_TABLES},
            "by_scope": scopes,
        }
