"""Storing a batch inside one unit of work: which events are fresh, their verdicts, rejections.

Shared by the two processors: queued events (raw row and processed row) and an upload's chunk
(processed rows, the chunk's own record). The stored keys are read first so the outcome counts
exactly what this batch added, and only the fresh events' verdicts are recorded: an event already
stored had its verdicts recorded when it was. The keyed inserts still guard against a concurrent
writer adding the same key in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from chalicelib.domain.events import ArrivedEvent, RejectedItem, RowEvent, StoreOutcome
from chalicelib.domain.rules import Verdicts
from chalicelib.domain.uploads import ChunkRecord
from chalicelib.ports import ChunkWork, EventWork
from chalicelib.services.verdicts import VerdictsRecorded, record_verdicts

Keyed = TypeVar("Keyed", ArrivedEvent, RowEvent)


def store_events(
    work: EventWork,
    arrived: Sequence[ArrivedEvent],
    rejected: Sequence[RejectedItem],
    verdicts: Verdicts | None,
    at: datetime,
) -> StoreOutcome:
    """Raw first, processed after, the fresh events' verdicts and the rejections beside."""
    fresh = _fresh(work, arrived)
    work.add_events(fresh, at)
    recorded = _verdicts(work, fresh, verdicts, at)
    new_rejections = _new_rejections(work, rejected, at)
    return StoreOutcome(
        stored=len(fresh),
        duplicates=len(arrived) - len(fresh),
        rejected=new_rejections,
        matched=recorded.matches,
        notices=recorded.notices,
    )


def store_rows(
    work: ChunkWork,
    chunk: ChunkRecord,
    rows: Sequence[RowEvent],
    rejected: Sequence[RejectedItem],
    verdicts: Verdicts | None,
) -> StoreOutcome:
    """A chunk's rows, their verdicts, its rejected rows and its record; the record's counts are
    as this chunk saw them (a row already stored by another upload is a duplicate)."""
    at = chunk.processed_at
    fresh = _fresh(work, rows)
    work.add_rows(fresh, at)
    recorded = _verdicts(work, fresh, verdicts, at)
    outcome = StoreOutcome(
        stored=len(fresh),
        duplicates=len(rows) - len(fresh),
        rejected=_new_rejections(work, rejected, at),
        matched=recorded.matches,
        notices=recorded.notices,
    )
    work.add_chunk(
        replace(
            chunk,
            rows_stored=outcome.stored,
            rows_duplicate=outcome.duplicates,
            rows_rejected=len(rejected),
        )
    )
    return outcome


def _fresh(work: EventWork, items: Sequence[Keyed]) -> list[Keyed]:
    """The items whose event is not stored yet, each key once."""
    unique = list({one.event.key: one for one in reversed(items)}.values())[::-1]
    known = work.stored_keys([one.event.key for one in unique])
    return [one for one in unique if one.event.key not in known]


def _verdicts(
    work: EventWork,
    fresh: Sequence[ArrivedEvent] | Sequence[RowEvent],
    verdicts: Verdicts | None,
    at: datetime,
) -> VerdictsRecorded:
    if not verdicts:
        return VerdictsRecorded()
    return record_verdicts(work, verdicts.only_for({one.event.key for one in fresh}), at)


def _new_rejections(work: EventWork, rejected: Sequence[RejectedItem], at: datetime) -> int:
    """Record the rejections not recorded yet; how many there were."""
    unique = list({one.item_key: one for one in rejected}.values())
    known = work.recorded_rejections([one.item_key for one in unique])
    new = [one for one in unique if one.item_key not in known]
    work.add_rejections(new, at)
    return len(new)
