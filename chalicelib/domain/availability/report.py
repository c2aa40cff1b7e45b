"""Per entity: uptime, downtime and unknown time within its business hours, over named windows.

The report generator calls :func:`availability_rows` with the observations a reader streams and
writes :func:`availability_columns` as the header. Figures are in each window's unit (minutes for
the last hour, hours for the last day and week, hours for a given range), rounded to 2 decimals;
per window, uptime + downtime + unknown is the time the entity was open.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.availability.hours import open_spans
from chalicelib.domain.availability.interpolation import Interpolation
from chalicelib.domain.availability.model import (
    AvailabilitySettings,
    EntityHours,
    HoursTable,
    Observation,
    Segment,
    Span,
    State,
)
from chalicelib.domain.availability.overlap import covered

UNITS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1)}


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)`` in UTC, named for the columns (``last_hour``), reported in ``unit``."""

    name: str
    start: datetime
    end: datetime
    unit: str = "hours"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit {self.unit!r} is not one of {', '.join(UNITS)}")
        if not self.start < self.end:
            raise ValueError(
                f"window {self.name} ends ({self.end}) before it starts ({self.start})"
            )


def last_windows(now: datetime) -> tuple[Window, ...]:
    """The Store Monitoring windows, each ending at ``now``: last hour (minutes), last day and
    last week (hours)."""
    return (
        Window("last_hour", now - timedelta(hours=1), now, "minutes"),
        Window("last_day", now - timedelta(days=1), now, "hours"),
        Window("last_week", now - timedelta(weeks=1), now, "hours"),
    )


def range_windows(start: datetime, end: datetime, unit: str = "hours") -> tuple[Window, ...]:
    """One window over a given range, named ``range``."""
    return (Window("range", start, end, unit),)


def availability_columns(windows: Sequence[Window]) -> tuple[str, ...]:
    """The header: ``entity``, ``timezone``, then up, down and unknown per window."""
    figures = (
        f"{kind}_{window.name}_{window.unit}"
        for window in windows
        for kind in ("uptime", "downtime", "unknown")
    )
    return ("entity", "timezone", *figures)


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """Open time in one window, split by state; exact, before any rounding."""

    window: Window
    up: timedelta
    down: timedelta
    unknown: timedelta


@dataclass(frozen=True, slots=True)
class AvailabilityRow:
    """One entity's figures, in the order of :func:`availability_columns`."""

    entity: str
    timezone: str
    totals: tuple[WindowTotals, ...]

    def cells(self) -> tuple[str | float, ...]:
        figures = (
            round(amount / UNITS[one.window.unit], 2)
            for one in self.totals
            for amount in (one.up, one.down, one.unknown)
        )
        return (self.entity, self.timezone, *figures)


def availability_rows(
    observations: Iterable[Observation],
    hours: HoursTable,
    settings: AvailabilitySettings,
    windows: Sequence[Window],
) -> Iterator[AvailabilityRow]:
    """A row for every entity that was observed or is listed in ``hours``, sorted by entity.

    ``observations`` may interleave entities (a reader streams them in time order) but each
    entity's own must be in time order, and they must include those from ``stale_after`` before
    the earliest window (:func:`reading_span`): the last of them carries into the window.
    Memory grows with the number of entities, not of observations.
    """
    tallies: dict[str, _Tally] = {}
    for observation in observations:
        tally = tallies.get(observation.entity)
        if tally is None:
            tally = tallies[observation.entity] = _Tally(
                observation.entity, hours, settings, windows
            )
        tally.observe(observation.at, settings.state_of(observation.status))
    for entity in hours.keys() - tallies.keys():
        tallies[entity] = _Tally(entity, hours, settings, windows)
    for entity in sorted(tallies):
        yield tallies[entity].row()


def reading_span(windows: Sequence[Window], settings: AvailabilitySettings) -> Span:
    """What a reader must supply: from ``stale_after`` before the earliest window to the last
    window's end (an older observation is stale before any window starts)."""
    start = min(window.start for window in windows)
    return Span(start - settings.stale_after, max(window.end for window in windows))


@dataclass
class _Tally:
    """One entity's running totals: its open spans once, then each segment as it completes."""

    entity: str
    hours: HoursTable
    settings: AvailabilitySettings
    windows: Sequence[Window]
    timezone: str = field(init=False)
    _open: list[Span] = field(init=False)
    _interpolation: Interpolation = field(init=False)
    _sums: list[dict[State, timedelta]] = field(init=False)

    def __post_init__(self) -> None:
        listed = self.hours.get(self.entity) or EntityHours(self.entity, None, None)
        self.timezone = listed.timezone or self.settings.timezone
        start = min(window.start for window in self.windows)
        end = max(window.end for window in self.windows)
        self._open = open_spans(listed.week, ZoneInfo(self.timezone), start, end)
        self._interpolation = Interpolation(start, end, self.settings.stale_after)
        self._sums = [dict.fromkeys(State, timedelta()) for _ in self.windows]

    def observe(self, at: datetime, state: State) -> None:
        self._add(self._interpolation.observe(at, state))

    def row(self) -> AvailabilityRow:
        self._add(self._interpolation.finish())
        totals = tuple(
            WindowTotals(window, sums[State.UP], sums[State.DOWN], sums[State.UNKNOWN])
            for window, sums in zip(self.windows, self._sums, strict=True)
        )
        return AvailabilityRow(self.entity, self.timezone, totals)

    def _add(self, segments: list[Segment]) -> None:
        for segment in segments:
            for window, sums in zip(self.windows, self._sums, strict=True):
                start, end = max(segment.start, window.start), min(segment.end, window.end)
                if start < end:
                    sums[segment.state] += covered(self._open, start, end)
