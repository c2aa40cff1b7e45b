"""Availability's values: an observation, the three states, a span of time, business hours and
a source's settings.

Everything here is checked once (:mod:`.parsing`, :mod:`.table`) so the report can trust it.
Times are aware UTC datetimes; local times exist only as a weekly schedule of wall-clock minutes,
turned into UTC spans per zone by :mod:`.hours`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

DEFAULT_STALE_AFTER = timedelta(hours=2)
DEFAULT_UP = ("active", "up", "open", "online")
DEFAULT_DOWN = ("inactive", "down", "closed", "offline")
STATUS_TYPES = ("string", "boolean")
MINUTES_PER_DAY = 1440
_TRUE = (True, 1, "true")
_FALSE = (False, 0, "false")


class State(Enum):
    """What is known about an entity at an instant. ``UNKNOWN`` is reported, never guessed."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Span:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Segment:
    """A span during which an entity was in one state."""

    start: datetime
    end: datetime
    state: State


@dataclass(frozen=True, slots=True)
class Observation:
    """One event's status for one entity, as stored: ``status`` is the event's raw field value."""

    entity: str
    at: datetime
    status: object


@dataclass(frozen=True, slots=True)
class Opening:
    """Open on weekday ``day`` (0 = Monday) from ``opens`` to ``closes``, in minutes after local
    midnight; ``closes`` is 1..1440 (1440 is 24:00). ``closes <= opens`` means the interval runs
    past midnight into the next day (22:00-02:00), Sunday's into Monday's."""

    day: int
    opens: int
    closes: int

    @property
    def crosses_midnight(self) -> bool:
        return self.closes <= self.opens


@dataclass(frozen=True, slots=True)
class EntityHours:
    """One row of a business-hours table. ``week`` None: no hours given, open 24x7; an empty
    tuple: never open. ``timezone`` None: the source's default."""

    entity: str
    timezone: str | None
    week: tuple[Opening, ...] | None
    line: int | None = None


HoursTable = Mapping[str, EntityHours]


@dataclass(frozen=True, slots=True)
class AvailabilitySettings:
    """A source's ``availability:`` section: which fields carry the entity and its status, how
    status values read, the default zone, and when an observation goes stale."""

    source: str
    entity_field: str
    status_field: str
    timezone: str
    status_type: str = "string"
    stale_after: timedelta = DEFAULT_STALE_AFTER
    up: frozenset[str] = frozenset(DEFAULT_UP)
    down: frozenset[str] = frozenset(DEFAULT_DOWN)
    hours: str | None = None

    def state_of(self, status: object) -> State:
        """Text compares case-insensitively after trimming; a ``boolean`` status is up when true
        (databases hand JSON ``true`` back as ``1`` or ``"true"``). Any other value is a real
        observation of an unknown state: it ends what the previous observation said."""
        if self.status_type == "boolean":
            if status in _TRUE and not isinstance(status, float):
                return State.UP
            if status in _FALSE and not isinstance(status, float):
                return State.DOWN
            return State.UNKNOWN
        text = str(status).strip().casefold()
        if text in self.up:
            return State.UP
        return State.DOWN if text in self.down else State.UNKNOWN


@dataclass(frozen=True, slots=True)
class SourceAvailability:
    """What the report needs about one source: its settings and its entities' hours."""

    settings: AvailabilitySettings
    hours: HoursTable
