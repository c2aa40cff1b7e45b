"""Weekly business hours, written in local wall-clock time, as UTC spans over a range.

A wall-clock time means the first instant at which the entity's clocks show it, or a later time:

- on a normal day that is simply the instant (09:00-17:00 is 8 hours, on a DST day too);
- a time the clocks show twice (they went back) is its first occurrence, so 00:00-03:00 on
  Europe/Berlin's 2026-10-25 is 4 hours;
- a time the clocks skip (they went forward) is the moment they jump past it, so a store opening
  at 02:30 on Europe/Berlin's 2026-03-29 opens at 03:00 CEST, and 00:00-03:00 that night is
  2 hours.

That is how silences read local times too, so one rule holds across the product.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta, tzinfo

from chalicelib.domain.availability.model import Opening, Span
from chalicelib.domain.local_times import local_instant

_DAY = timedelta(days=1)


def open_spans(
    week: Sequence[Opening] | None, zone: tzinfo, start: datetime, end: datetime
) -> list[Span]:
    """The UTC spans within ``[start, end)`` when an entity with ``week`` (None: 24x7) is open,
    sorted, disjoint and merged (overlapping intervals count once)."""
    if week is None:
        return [Span(start, end)] if start < end else []
    spans = []
    day = start.astimezone(zone).date() - _DAY  # yesterday's late hours may run into today
    last = end.astimezone(zone).date()
    while day <= last:
        midnight = datetime.combine(day, time())
        for opening in (one for one in week if one.day == day.weekday()):
            closes = opening.closes + (1440 if opening.crosses_midnight else 0)
            opened = local_instant(midnight + timedelta(minutes=opening.opens), zone)
            closed = local_instant(midnight + timedelta(minutes=closes), zone)
            clipped = Span(max(opened, start), min(closed, end))
            if clipped.start < clipped.end:
                spans.append(clipped)
        day += _DAY
    return merged(spans)


def merged(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans joined."""
    result: list[Span] = []
    for span in sorted(spans, key=lambda one: one.start):
        if result and span.start <= result[-1].end:
            if span.end > result[-1].end:
                result[-1] = Span(result[-1].start, span.end)
        else:
            result.append(span)
    return result
