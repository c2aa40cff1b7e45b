"""Local wall times as instants, across the clocks' changes: what a time a person writes means.

A wall time the clocks show once is that instant; one they show twice (the hour repeated when
summer time ends) is either of two, and the caller says which; one they skip (the hour lost when
it begins) is the moment they jump past it. Silences' windows and business hours read local
times alike, so they are read here, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo


def local_instants(wall: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """``wall`` read with the offset before and after a nearby change of the clocks, in UTC.

    Equal for most times; earlier then later for a time the clocks show twice; later then
    earlier for a time they skip (neither of those instants shows ``wall``).
    """
    return (
        wall.replace(tzinfo=zone, fold=0).astimezone(UTC),
        wall.replace(tzinfo=zone, fold=1).astimezone(UTC),
    )


def shows(instant: datetime, zone: tzinfo, wall: datetime) -> bool:
    return instant.astimezone(zone).replace(tzinfo=None) == wall


def local_instant(wall: datetime, zone: tzinfo, *, latest: bool = False) -> datetime:
    """When the clocks of ``zone`` show ``wall``: the first time (``latest``: the last) when they
    show it twice, the moment they jump past it when they skip it."""
    first, second = local_instants(wall, zone)
    if first == second:
        return first
    if shows(first, zone, wall):
        return second if latest else first
    return _jump(second, first, zone)


def _jump(before: datetime, after: datetime, zone: tzinfo) -> datetime:
    """The first second in ``before``..``after`` with the offset of ``after``: zoneinfo does not
    publish its transitions, and a skipped hour is a few thousand seconds to halve."""
    offset = after.astimezone(zone).utcoffset()
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)
