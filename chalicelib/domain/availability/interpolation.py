"""Observations → up, down and unknown segments: the interpolation rule, in one place.

An entity's status observation holds from its own instant until the entity's next observation,
but for at most ``stale_after``; time no observation holds is UNKNOWN (reported on its own, never
counted as up or down). So:

- an observation before the range carries into it (for at most ``stale_after`` from its instant),
  which is why readers start ``stale_after`` before the range;
- a gap longer than ``stale_after`` between two observations is the first observation's state for
  ``stale_after``, then unknown until the second;
- several observations at one instant: the last one given wins (the earlier ones hold for no time);
- an observation at or after the range's end only ends the one before it.

The fold is incremental (:class:`Interpolation`) so a report can keep one per entity while the
observations of many entities stream past in time order, with no entity's history in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from chalicelib.domain.availability.model import Segment, State


class Interpolation:
    """One entity's segments over ``[start, end)``, fed observations in time order."""

    def __init__(self, start: datetime, end: datetime, stale_after: timedelta) -> None:
        self._end, self._stale_after = end, stale_after
        self._cursor = start  # everything before it has been handed out
        self._last: tuple[datetime, State] | None = None

    def observe(self, at: datetime, state: State) -> list[Segment]:
        """The segments this observation completes; raises ValueError when time runs backwards."""
        if self._last is not None and at < self._last[0]:
            raise ValueError(f"observations out of order: {at} after {self._last[0]}")
        done = self._held_until(at)
        self._last = (at, state)
        return done

    def finish(self) -> list[Segment]:
        """The segments up to the range's end, unknown after the last observation went stale."""
        done = self._held_until(self._end)
        done.extend(self._emit(self._end, self._end, State.UNKNOWN))
        return done

    def _held_until(self, until: datetime) -> list[Segment]:
        if self._last is None:
            return []
        at, state = self._last
        return self._emit(at, min(until, at + self._stale_after), state)

    def _emit(self, start: datetime, end: datetime, state: State) -> list[Segment]:
        """``[start, end)`` clipped to the range, preceded by unknown for any gap before it."""
        start, end = max(start, self._cursor), min(end, self._end)
        done = []
        gap_end = min(start, self._end)
        if gap_end > self._cursor:
            done.append(Segment(self._cursor, gap_end, State.UNKNOWN))
            self._cursor = gap_end
        if end > start:
            done.append(Segment(start, end, state))
            self._cursor = end
        return done


def status_segments(
    observations: Iterable[tuple[datetime, State]],
    start: datetime,
    end: datetime,
    stale_after: timedelta,
) -> Iterator[Segment]:
    """Every segment of ``[start, end)`` for one entity's observations, in time order."""
    interpolation = Interpolation(start, end, stale_after)
    for at, state in observations:
        yield from interpolation.observe(at, state)
    yield from interpolation.finish()
