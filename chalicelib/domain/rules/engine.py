"""Every enabled rule against every event: the per-event path of the rules.

The rules are indexed by source once, an event's fields are built once for all its rules, and a
rule costs its filter and one call of its compiled condition. A rule that fails on an event (a
value of an unexpected type, a division by zero) is recorded as a :class:`RuleFailure` against that
rule and event, and the other rules go on: one bad rule never stops the pipeline.

What a rule decides is returned as :class:`Verdicts`; writing them, and deciding windows from the
stored entries, is the caller's (in the event's own transaction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.domain.events import Event
from chalicelib.domain.expressions import EVALUATION_ERRORS, EvaluationError, describe_failure
from chalicelib.domain.rules.book import RuleBook
from chalicelib.domain.rules.fields import RuleCatalog
from chalicelib.domain.rules.model import Rule
from chalicelib.domain.rules.verdicts import (
    RuleFailure,
    RuleMatch,
    SightingHit,
    Verdicts,
    WindowHit,
    fingerprint,
    group_values,
    value_token,
)


class RuleEngine:
    """The enabled rules of a book (or the one rule of a dry-run), ready to evaluate events."""

    def __init__(self, rules: Sequence[Rule], catalog: RuleCatalog) -> None:
        live = [rule for rule in rules if rule.enabled]
        self._everywhere = [rule for rule in live if not rule.sources]
        self._by_source: dict[str, list[Rule]] = {}
        for rule in live:
            for source in rule.sources:
                self._by_source.setdefault(source, []).append(rule)
        for listed in self._by_source.values():  # joined once here, not per event
            listed.extend(self._everywhere)
        self._catalog = catalog
        self._timestamps: dict[str, tuple[str, ...]] = {}

    @classmethod
    def of(cls, book: RuleBook) -> RuleEngine:
        return cls(book.rules, book.catalog)

    def rules_for(self, source: str) -> list[Rule]:
        return self._by_source.get(source, self._everywhere)

    def evaluate(self, event: Event, now: datetime, into: Verdicts) -> None:
        """Add what every rule says about ``event`` to ``into``; ``now`` is when it is judged
        (``ago()`` counts back from it)."""
        rules = self.rules_for(event.source)
        if not rules:
            return
        fields = self.fields(event)
        for rule in rules:
            if rule.types and event.type not in rule.types:
                continue
            try:
                if rule.when is None or rule.when.evaluate(fields, now):
                    _hit(rule, event, fields, into)
            except EVALUATION_ERRORS as exc:
                into.failures.append(
                    RuleFailure(
                        rule.id, rule.version, event.source, event.event_id, describe_failure(exc)
                    )
                )

    def fields(self, event: Event) -> dict[str, Any]:
        """The names a rule can use: the data fields, then the event's own (which win)."""
        fields = dict(event.data)
        for name in self._timestamp_fields(event.source):
            value = fields.get(name)
            if isinstance(value, str):
                fields[name] = _timestamp(value)
        fields["source"] = event.source
        fields["type"] = event.type
        fields["id"] = event.event_id
        fields["occurred_at"] = event.occurred_at
        fields["received_at"] = event.received_at
        return fields

    def _timestamp_fields(self, source: str) -> tuple[str, ...]:
        """Declared and derived timestamps are stored as ISO text; rules compare them as times.
        Only those the source's rules read (in a condition, a group or a threshold) are parsed:
        an order's time is not parsed once per CSV row for a rule that only reads its total."""
        names = self._timestamps.get(source)
        if names is None:
            read = {
                name
                for rule in self.rules_for(source)
                for name in (
                    *(rule.when.fields if rule.when is not None else ()),
                    *rule.group_by,
                    *((rule.threshold.field,) if rule.threshold and rule.threshold.field else ()),
                )
            }
            declared = self._catalog.fields.get(source, {})
            names = tuple(
                name for name, kind in declared.items() if kind == "timestamp" and name in read
            )
            self._timestamps[source] = names
        return names


def _timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _hit(rule: Rule, event: Event, fields: Mapping[str, Any], into: Verdicts) -> None:
    group = group_values(rule.group_by, fields)
    print_ = fingerprint(rule.id, group)
    if rule.kind == "match":
        into.rules[rule.id] = rule
        into.matches.append(
            RuleMatch(
                rule.id,
                rule.version,
                "match",
                f"event:{event.source}:{event.event_id}",
                print_,
                group,
                event.occurred_at,
                event.source,
                event.event_id,
            )
        )
    elif rule.kind == "absence":
        into.sightings.append(
            SightingHit(rule, print_, group, event.source, event.event_id, event.occurred_at)
        )
    elif rule.threshold is not None:
        counted = _counted_value(rule, fields)
        if counted is not None:
            number, token = counted
            into.window_hits.append(
                WindowHit(
                    rule,
                    print_,
                    group,
                    event.source,
                    event.event_id,
                    event.occurred_at,
                    number,
                    token,
                )
            )


def _counted_value(rule: Rule, fields: Mapping[str, Any]) -> tuple[float | None, str | None] | None:
    """What the event adds to the window; None when it adds nothing (its field is null)."""
    threshold = rule.threshold
    assert threshold is not None
    if threshold.aggregate == "count" or threshold.field is None:
        return None, None
    value = fields.get(threshold.field)
    if value is None:
        return None
    if threshold.aggregate == "distinct":
        return None, value_token(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvaluationError(
            f"{threshold.aggregate} of '{threshold.field}' needs a number, "
            f"not {type(value).__name__}"
        )
    return float(value), None
