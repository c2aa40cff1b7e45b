"""Availability as report sheets: one source's entities over the last hour, day and week (or a
range), and every source's over a digest's week.

The figures are the domain's (``chalicelib.domain.availability``); here the observations are
read from ``stale_after`` before the earliest window, so the last observation before it carries
in, and each row becomes a sheet's cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from chalicelib.domain.availability import (
    SourceAvailability,
    Window,
    availability_columns,
    availability_rows,
    last_windows,
    range_windows,
    reading_span,
)
from chalicelib.domain.errors import Detail, RequestError
from chalicelib.domain.reports import Cell, DigestWeek, Report
from chalicelib.ports import StatusObservations

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]


def report_windows(report: Report) -> tuple[Window, ...]:
    """The last hour, day and week before the report's ``until`` (the Store Monitoring report),
    or the one range asked for."""
    if report.params.get("windows") == "last":
        return last_windows(report.until)
    return range_windows(report.since, report.until)


def check_availability_source(source: str, sources: Mapping[str, SourceAvailability]) -> None:
    """``RequestError`` naming ``params.source`` unless the source declares availability."""
    if source not in sources:
        declared = ", ".join(sorted(sources)) or "none"
        shown = f"declares no availability: section; sources that do: {declared}"
        raise RequestError("invalid report request", [Detail(shown, "params.source", value=source)])


def availability_sheets(
    report: Report,
    *,
    sources: Mapping[str, SourceAvailability],
    observations: StatusObservations,
) -> list[Sheet]:
    """The report's one sheet: its source's entities in its windows."""
    [source] = report.sources or ()
    check_availability_source(source, sources)
    windows = report_windows(report)
    rows = _rows(source, sources[source], windows, observations)
    return [("availability", availability_columns(windows), rows)]


def week_availability(
    week: DigestWeek,
    *,
    sources: Mapping[str, SourceAvailability],
    observations: StatusObservations,
) -> Sheet:
    """Every source that declares availability, its entities over the week, source first."""
    windows = range_windows(week.starts_at, week.ends_at)

    def rows() -> Iterator[tuple[Cell, ...]]:
        for source in sorted(sources):
            for cells in _rows(source, sources[source], windows, observations):
                yield (source, *cells)

    return ("availability", ("source", *availability_columns(windows)), rows())


def _rows(
    source: str,
    declared: SourceAvailability,
    windows: Sequence[Window],
    observations: StatusObservations,
) -> Iterator[tuple[Cell, ...]]:
    settings = declared.settings
    span = reading_span(windows, settings)
    seen = observations.observations(
        source, settings.entity_field, settings.status_field, span.start, span.end
    )
    for row in availability_rows(seen, declared.hours, settings, windows):
        yield row.cells()
