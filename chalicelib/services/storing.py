"""Storing a batch inside one unit of work: which events are fresh, their verdicts, rejections.

Shared by the two processors: queued events (raw row and processed row) and an upload's chunk
(processed rows, the chunk's own record). The unit of work says which events it stored for the
first time, exactly, even against a concurrent writer of the same key; only their verdicts are
recorded, since an event already stored had its verdicts recorded when it was. So a redelivered,
replayed or raced event never counts in a window or an alert twice.
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
    """The new events, their verdicts and the rejections beside."""
    fresh = work.add_new_events(_each_key_once(arrived), at)
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
    fresh = work.add_new_rows(_each_key_once(rows), at)
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


def _each_key_once(items: Sequence[Keyed]) -> list[Keyed]:
    """The first item of each event key, in the batch's order."""
    return list({one.event.key: one for one in reversed(items)}.values())[::-1]


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
    if not rejected:
        return 0
    return work.add_new_rejections(list({one.item_key: one for one in rejected}.values()), at)
