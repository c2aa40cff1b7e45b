"""Alerts as values: what one problem looks like to on-call, and how its rule wants it handled.

An alert is identified by its fingerprint (the rule and its group's values). At most one alert per
fingerprint is active (``open`` or ``acknowledged``) at a time; matches while it is active add to
it, and a match after it resolved opens a new one. Every change is decided by
:mod:`~chalicelib.domain.alerts.lifecycle` from these values and carried out by the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.rules import GroupValues

STATUSES = ("open", "acknowledged", "resolved")
ACTIVE = ("open", "acknowledged")
# What on-call is told: a new alert, a reminder while nobody acknowledged it, the state owed
# after a silence or a flapping spell ended, the all-clear, and that a group keeps flapping.
NOTICE_KINDS = ("opened", "repeat", "reminder", "resolved", "flapping")


@dataclass(frozen=True, slots=True)
class Alert:
    """One problem, as stored. ``id`` is None until the store has written a new alert."""

    id: int | None
    fingerprint: str
    rule_id: str
    rule_version: str
    kind: str
    severity: str
    source: str | None
    group: GroupValues
    labels: Mapping[str, str]
    status: str
    count: int
    first_seen_at: datetime
    last_seen_at: datetime
    last_matched_at: datetime
    opened_at: datetime
    observed: float | None = None
    sample_source: str | None = None
    sample_event_id: str | None = None
    flapping: bool = False
    clear_since: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    notified_at: datetime | None = None
    repeats: int = 0
    reminders: int = 0
    owed: bool = False

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True, slots=True)
class FlapState:
    """What the fingerprint's history says: whether it is flapping now, and how many alerts it
    opened within the rule's flapping window before this moment."""

    flapping: bool = False
    recent_opens: int = 0


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification to send. ``transition`` is unique per alert (``opened``, ``repeat:2``):
    the outbox is keyed by it, so a transition is queued once however often it is decided."""

    kind: str
    transition: str


@dataclass(frozen=True, slots=True)
class Happening:
    """One line of an alert's timeline."""

    kind: str
    detail: str
    actor: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """A decision: the alert as it is to be stored, what to add to its timeline, what to send,
    and the fingerprint's new flapping state (None: unchanged)."""

    alert: Alert
    timeline: tuple[Happening, ...] = ()
    notices: tuple[Notice, ...] = ()
    flapping: bool | None = None
