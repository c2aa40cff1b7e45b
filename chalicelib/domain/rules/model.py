"""Rules as checked values: what ``rules/*.yaml`` says, compiled once when the rules load.

A :class:`Rule` is parsed and type-checked by :mod:`~chalicelib.domain.rules.parsing.rule` before any
event reaches it, so the per-event path (:mod:`~chalicelib.domain.rules.engine`) trusts these values:
its condition is a compiled expression, its window a ``timedelta``, its filters plain tuples.

``version`` is a hash of the rule's content (not of its file's bytes: a comment or a reordered key
is not a new rule), recorded with every match so an operator can tell which rule said what.
``state_version`` hashes only what window and absence state depend on (filters, condition, group,
aggregate, window): changing a rule's severity or message keeps its counts, changing its condition
starts its windows empty, because counts gathered under another condition would be wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from math import isqrt

from chalicelib.domain.expressions import CompiledExpression
from chalicelib.domain.rules.templates import MessageTemplate

KINDS = ("match", "threshold", "absence")
SEVERITIES = ("info", "low", "medium", "high", "critical")
AGGREGATES = ("count", "sum", "avg", "min", "max", "distinct")
COMPARATORS = (">", ">=", "<", "<=", "==", "!=")
EXPECTATIONS = ("source", "seen", "listed")  # absence: the whole source, each group seen, a list
NEVER_SEEN = ("alert", "ignore")

DEFAULT_REPEAT_EVERY = timedelta(hours=4)
# A match rule's alert resolves after this long without a match, unless it sets resolve_after.
DEFAULT_RESOLVE_AFTER = timedelta(hours=1)
DEFAULT_FLAP_OPENS = 3
DEFAULT_FLAP_WITHIN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """How a rule's alerts behave, from its file (``keep_firing_for``, ``repeat_every``,
    ``flapping``) and its kind.

    ``quiet_after`` is for match rules: the alert's condition clears once no match came for that
    long. Threshold alerts clear when the window ending now no longer crosses, absence alerts when
    the group is heard from again. ``keep_firing_for`` then holds a cleared alert open that much
    longer, so a condition that blinks off for a minute does not resolve and reopen.
    ``flap_opens`` opens within ``flap_within`` are allowed; one more makes the group flapping.
    """

    quiet_after: timedelta | None = None
    keep_firing_for: timedelta = timedelta(0)
    repeat_every: timedelta | None = DEFAULT_REPEAT_EVERY
    flap_opens: int = DEFAULT_FLAP_OPENS
    flap_within: timedelta = DEFAULT_FLAP_WITHIN


@dataclass(frozen=True, slots=True)
class Threshold:
    """``aggregate`` of ``field`` (None for ``count``) over ``within``, compared with ``value``.

    ``granularity`` is the rule file's (None when it gives none); ``period`` the bucket width the
    window is kept in, that or :func:`default_granularity`. A window's edges are exact to it.
    """

    aggregate: str
    field: str | None
    comparator: str
    value: float
    within: timedelta
    granularity: timedelta | None = None
    period: timedelta = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "period", self.granularity or default_granularity(self.within))

    @property
    def buckets(self) -> int:
        """How many buckets one window spans."""
        return self.within // self.period


def default_granularity(within: timedelta) -> timedelta:
    """About a sixtieth of the window, like a CloudWatch period: the largest whole number of
    seconds that divides ``within`` and is at most ``within / 60``, at least one second (10m
    gives 10s, 15m 15s, 1h 1m). Dividing the window keeps every window a whole number of
    buckets; a sixtieth keeps a window's edges within 1.7 % of it at sixty buckets a window."""
    seconds, rest = divmod(within, timedelta(seconds=1))
    if rest or seconds < 1:
        return within  # not whole seconds (the rule parser allows none): one bucket a window
    target = max(1, seconds // 60)
    best = 1
    for small in range(1, isqrt(seconds) + 1):
        if seconds % small == 0:
            best = max([best, *(one for one in (small, seconds // small) if one <= target)])
    return timedelta(seconds=best)


@dataclass(frozen=True, slots=True)
class Absence:
    """No matching event for ``within``: for the source, per group seen, or per listed entity.

    ``entities`` holds, for ``expect: listed``, one tuple of group values per entity, in
    ``group_by`` order. ``never_seen`` says what a group never seen means: ``alert`` (silent from
    the moment tracking began) or ``ignore`` (nothing to miss yet).
    """

    within: timedelta
    expect: str
    entities: tuple[tuple[object, ...], ...] = ()
    never_seen: str = "alert"


@dataclass(frozen=True, slots=True)
class Rule:
    """One checked rule; exactly one of ``threshold`` and ``absence`` is set for those kinds."""

    id: str
    description: str
    enabled: bool
    kind: str
    sources: tuple[str, ...]  # empty: every source
    types: tuple[str, ...]  # empty: every type
    severity: str
    group_by: tuple[str, ...]
    labels: Mapping[str, str]
    runbook: str | None
    message: MessageTemplate
    when: CompiledExpression | None  # None: every event of the filtered sources and types
    threshold: Threshold | None
    absence: Absence | None
    resolve_after: timedelta | None
    version: str
    state_version: str
    file: str
    line: int
    alerting: AlertPolicy = AlertPolicy()

    @property
    def quiet_after(self) -> timedelta | None:
        """How long an alert of this rule waits without a new match before it resolves; None when
        only its condition clearing resolves it (a threshold or absence rule without
        ``resolve_after``). The alert lifecycle and the dry-run preview both read this."""
        if self.resolve_after is not None:
            return self.resolve_after
        return DEFAULT_RESOLVE_AFTER if self.kind == "match" else None

    def applies_to(self, source: str, event_type: str) -> bool:
        return (not self.sources or source in self.sources) and (
            not self.types or event_type in self.types
        )
