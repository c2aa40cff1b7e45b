"""What the rules said about events, as values the services carry out in the event's transaction.

A match rule's verdict is final (:class:`RuleMatch`). A threshold rule's verdict is an entry for
its window (:class:`WindowHit`): whether the window crosses the threshold depends on the other
entries, added up per time bucket in the database (or, in a dry-run, in memory) and decided by
:mod:`~chalicelib.domain.rules.windows`. An absence rule's verdict is a sighting
(:class:`SightingHit`): the group was heard from, so its silence starts again.

A match is keyed by ``(rule, match_key)`` and a sighting only moves forward, so recording either
twice changes nothing; a window entry is added to a sum, so only the verdicts of events stored
for the first time are recorded (:meth:`Verdicts.only_for`), each event once: a redelivered event
or a replayed chunk counts nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.json_values import json_value
from chalicelib.domain.rules.model import Rule

GroupValues = tuple[tuple[str, Any], ...]  # (field, value) in group_by order, JSON values


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule fired. ``match_key`` makes recording it idempotent: ``event:<source>:<id>`` for a
    match rule, ``window:<source>:<id>`` (the event whose window crossed) for a threshold rule,
    ``absence:<fingerprint>:<silent since>`` for an absence rule."""

    rule_id: str
    rule_version: str
    kind: str
    match_key: str
    fingerprint: str
    group: GroupValues
    occurred_at: datetime
    source: str | None = None
    event_id: str | None = None
    observed: float | None = None


@dataclass(frozen=True, slots=True)
class WindowHit:
    """An event that counts in a threshold rule's window; ``number`` for sum/avg/min/max,
    ``token`` (a digest of the value) for distinct."""

    rule: Rule
    fingerprint: str
    group: GroupValues
    source: str
    event_id: str
    occurred_at: datetime
    number: float | None = None
    token: str | None = None


@dataclass(frozen=True, slots=True)
class SightingHit:
    """An absence rule heard from a group at ``occurred_at``."""

    rule: Rule
    fingerprint: str
    group: GroupValues
    source: str
    event_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A rule could not be evaluated on an event (a value of the wrong type, say).

    Recorded against that rule and event; the other rules, and the event itself, go on.
    """

    rule_id: str
    rule_version: str
    source: str
    event_id: str
    reason: str


@dataclass
class Verdicts:
    """Everything the rules said about a batch of events."""

    matches: list[RuleMatch] = field(default_factory=list)
    window_hits: list[WindowHit] = field(default_factory=list)
    sightings: list[SightingHit] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)  # the rules of ``matches``, by id

    def __bool__(self) -> bool:
        return bool(self.matches or self.window_hits or self.sightings or self.failures)

    def only_for(self, keys: set[tuple[str, str]]) -> Verdicts:
        """The verdicts on the events whose ``(source, event_id)`` is in ``keys`` (the fresh ones:
        an event already stored had its verdicts recorded when it was)."""
        return Verdicts(
            [one for one in self.matches if (one.source, one.event_id) in keys],
            [one for one in self.window_hits if (one.source, one.event_id) in keys],
            [one for one in self.sightings if (one.source, one.event_id) in keys],
            [one for one in self.failures if (one.source, one.event_id) in keys],
            self.rules,
        )


def fingerprint(rule_id: str, group: GroupValues) -> str:
    """The alert's identity: the rule and its group's values (32 hex characters).

    A rule's groups repeat from event to event (40 stores, a few hundred cards), so each is
    hashed once and remembered (until ``_KNOWN_LIMIT`` are, then forgotten all at once). The
    values' types are part of what is remembered: ``True``, ``1`` and ``1.0`` are equal keys
    in Python but different JSON. A group holding a list or an object is hashed every time.
    """
    try:
        key = (rule_id, group, tuple([type(value) for _, value in group]))
        known = _known.get(key)
    except TypeError:  # a list or an object among the values: not hashable
        return _fingerprint(rule_id, group)
    if known is None:
        if len(_known) >= _KNOWN_LIMIT:
            _known.clear()
        known = _known[key] = _fingerprint(rule_id, group)
    return known


def _fingerprint(rule_id: str, group: GroupValues) -> str:
    text = json.dumps(
        [rule_id, [value for _, value in group]],
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_KNOWN_LIMIT = 65_536
_known: dict[tuple[str, GroupValues, tuple[type, ...]], str] = {}


def group_values(group_by: Iterable[str], fields: Mapping[str, object]) -> GroupValues:
    """The group's values as JSON values: a time becomes its UTC ISO text, a missing field null."""
    return tuple((name, json_value(fields.get(name))) for name in group_by)


def value_token(value: object) -> str:
    """A fixed-size stand-in for a value counted by ``distinct`` (equal values, equal tokens)."""
    text = json.dumps(json_value(value), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def describe_group(group: GroupValues) -> str:
    """``merchant=acme, country=DE``; the empty group is the whole source."""
    return ", ".join(f"{name}={value}" for name, value in group) or "all events"
