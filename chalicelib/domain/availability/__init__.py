"""Availability: how long each entity (a store, a sensor, a feed) was up and down within its
business hours, in its own time zone, from the status observations its events carry.

- :mod:`.model`: observations, states, spans, business hours, a source's settings;
- :mod:`.hours`: weekly local hours → UTC spans, across DST changes and midnight;
- :mod:`.interpolation`: observations → up / down / unknown segments (the rule is stated there);
- :mod:`.report`: per entity and window, the figures; :func:`availability_rows` is the entry;
- :mod:`.parsing` and :mod:`.table`: the ``availability:`` section of a source definition and the
  business-hours table, checked with file:line problems.

Imports the kernel and :mod:`chalicelib.domain.sources` only.
"""

from __future__ import annotations

from chalicelib.domain.availability.hours import open_spans
from chalicelib.domain.availability.interpolation import Interpolation, status_segments
from chalicelib.domain.availability.model import (
    AvailabilitySettings,
    EntityHours,
    HoursTable,
    Observation,
    Opening,
    Segment,
    SourceAvailability,
    Span,
    State,
)
from chalicelib.domain.availability.parsing import parse_availability
from chalicelib.domain.availability.report import (
    AvailabilityRow,
    Window,
    WindowTotals,
    availability_columns,
    availability_rows,
    last_windows,
    range_windows,
    reading_span,
)
from chalicelib.domain.availability.table import parse_hours_table

__all__ = [
    "AvailabilityRow",
    "AvailabilitySettings",
    "EntityHours",
    "HoursTable",
    "Interpolation",
    "Observation",
    "Opening",
    "Segment",
    "SourceAvailability",
    "Span",
    "State",
    "Window",
    "WindowTotals",
    "availability_columns",
    "availability_rows",
    "last_windows",
    "open_spans",
    "parse_availability",
    "parse_hours_table",
    "range_windows",
    "reading_span",
    "status_segments",
]
