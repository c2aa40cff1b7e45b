"""Silences: which alerts on-call does not want to hear about, and when.

A silence never stops an alert from opening or being recorded; it only withholds the notice, so
the alert's timeline still tells what happened while everybody was busy with the maintenance.
Its matchers are data (an empty one means "any"), and its weekly windows are wall-clock times in
the silence's own time zone, because a maintenance window is agreed as "Sunday 01:00 to 04:00
Berlin time", not as an offset that is wrong half of the year. The parser is in
:mod:`~chalicelib.domain.silences.parsing`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.local_times import local_instant

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MATCHER_KEYS = ("rule", "source", "labels", "group")


@dataclass(frozen=True)
class SilenceTarget:
    """What an alert offers to matchers; ``group`` holds its (field, JSON value) pairs."""

    rule_id: str
    source: str | None
    labels: Mapping[str, str]
    group: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Matchers:
    """Every given matcher must hold; a list is a choice. Empty means "any"."""

    rules: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, target: SilenceTarget) -> bool:
        if self.rules and target.rule_id not in self.rules:
            return False
        if self.sources and target.source not in self.sources:
            return False
        if any(target.labels.get(key) not in wanted for key, wanted in self.labels.items()):
            return False
        values = dict(target.group)
        return all(
            key in values and not group_texts(values[key]).isdisjoint(wanted)
            for key, wanted in self.group.items()
        )

    def is_empty(self) -> bool:
        return not (self.rules or self.sources or self.labels or self.group)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "rule": list(self.rules),
            "source": list(self.sources),
            "labels": {key: list(values) for key, values in self.labels.items()},
            "group": {key: list(values) for key, values in self.group.items()},
        }
        return {key: value for key, value in shown.items() if value}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Matchers:
        """The inverse of :meth:`as_dict`, for values this module wrote."""
        return cls(
            tuple(stored.get("rule", ())),
            tuple(stored.get("source", ())),
            {key: tuple(values) for key, values in stored.get("labels", {}).items()},
            {key: tuple(values) for key, values in stored.get("group", {}).items()},
        )


def group_texts(value: object) -> frozenset[str]:
    """The texts a group value answers to. A matcher is text, a group value any JSON value, so
    ``"7"`` must find the store 7 (and 7.0), ``"null"`` the missing one, ``"true"`` a flag."""
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, datetime):
        return frozenset({value.astimezone(UTC).isoformat().replace("+00:00", "Z")})
    if isinstance(value, date):
        return frozenset({value.isoformat()})
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, float) and value.is_integer():
        return frozenset({text, str(int(value))})
    return frozenset({text})


@dataclass(frozen=True)
class WeeklyRecurrence:
    """Windows from ``start`` to ``end`` (local wall-clock times) on ``days`` (0 is Monday).

    ``end <= start`` runs past midnight, and such a window belongs to the day it starts on.
    """

    days: tuple[int, ...]
    start: time
    end: time

    def contains(self, at: datetime, zone: tzinfo) -> bool:
        local_day = at.astimezone(zone).date()
        # a window that runs past midnight began the day before
        for day in (local_day - timedelta(days=1), local_day):
            if day.weekday() in self.days:
                begins, ends = self.window(day, zone)
                if begins <= at < ends:
                    return True
        return False

    def window(self, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
        """The UTC instants of the window that starts on ``day``. Where the clocks go back the
        window takes the repeated hour whole rather than lifting and falling again; where they
        skip ahead it starts or ends as they jump past the time."""
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return (
            local_instant(datetime.combine(day, self.start), zone),
            local_instant(datetime.combine(end_day, self.end), zone, latest=True),
        )

    def windows_between(
        self, begins: datetime, ends: datetime, zone: tzinfo
    ) -> Iterator[tuple[datetime, datetime]]:
        """Every window that overlaps ``begins``..``ends``, clipped to it."""
        day, last = begins.astimezone(zone).date() - timedelta(days=1), ends.astimezone(zone).date()
        while day <= last:
            if day.weekday() in self.days:
                start, end = self.window(day, zone)
                if start < ends and end > begins:
                    yield max(start, begins), min(end, ends)
            day += timedelta(days=1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "weekly": {
                "days": [DAY_NAMES[day] for day in self.days],
                "from": self.start.strftime("%H:%M"),
                "to": self.end.strftime("%H:%M"),
            }
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> WeeklyRecurrence:
        """The inverse of :meth:`as_dict`, for values this module wrote."""
        weekly = stored["weekly"]
        return cls(
            tuple(DAY_NAMES.index(day) for day in weekly["days"]),
            time.fromisoformat(weekly["from"]),
            time.fromisoformat(weekly["to"]),
        )


@dataclass(frozen=True)
class Silence:
    """``starts_at``, ``ends_at``, ``created_at`` and ``expired_at`` are aware UTC;
    ``expired_at`` is set when someone ended the silence early (the row stays as history)."""

    id: str
    matchers: Matchers
    starts_at: datetime
    ends_at: datetime
    timezone: str
    recurrence: WeeklyRecurrence | None
    comment: str
    author: str
    created_at: datetime
    expired_at: datetime | None = None

    def ended(self, at: datetime) -> bool:
        return at >= self.ends_at or (self.expired_at is not None and at >= self.expired_at)

    def active_at(self, at: datetime) -> bool:
        if self.ended(at) or at < self.starts_at:
            return False
        return self.recurrence is None or self.recurrence.contains(at, ZoneInfo(self.timezone))

    def covers(self, target: SilenceTarget, at: datetime) -> bool:
        return self.active_at(at) and self.matchers.matches(target)

    def state(self, at: datetime) -> str:
        """``pending``, ``active``, ``scheduled`` (between its weekly windows) or ``expired``."""
        if self.ended(at):
            return "expired"
        if at < self.starts_at:
            return "pending"
        return "active" if self.active_at(at) else "scheduled"

    def as_dict(self, at: datetime | None = None) -> dict[str, Any]:
        """The API's view; with ``at``, also the ``state`` at that time."""
        shown = {
            "id": self.id,
            "matchers": self.matchers.as_dict(),
            "starts_at": utc_text(self.starts_at),
            "ends_at": utc_text(self.ends_at),
            "timezone": self.timezone,
            "recurrence": self.recurrence.as_dict() if self.recurrence else None,
            "comment": self.comment,
            "author": self.author,
            "created_at": utc_text(self.created_at),
            "expired_at": utc_text(self.expired_at) if self.expired_at else None,
        }
        return shown if at is None else shown | {"state": self.state(at)}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def silencing(silences: Iterable[Silence], target: SilenceTarget, at: datetime) -> Silence | None:
    """The silence that withholds ``target``'s notice at ``at``, to record which one did."""
    return next((one for one in silences if one.covers(target, at)), None)
