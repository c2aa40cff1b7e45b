"""SqlEventStore: raw rows, processed rows and rejections, written together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.rule_state import Recorded, record_verdicts
from chalicelib.adapters.db.tables import events, raw_events, rejected_items
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.rule_verdicts import Verdicts
from chalicelib.ports import ArrivedEvent, RejectedItem, StoreOutcome


class SqlEventStore:
    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self._engine = engine
        self._now = now

    def store(
        self, arrived: Sequence[ArrivedEvent], rejected: Sequence[RejectedItem],
        verdicts: Verdicts | None = None,
    ) -> StoreOutcome:
        """Raw first, processed after, rejections beside, in one transaction.

        Already-stored keys are read first so the outcome counts exactly what this call added; the
        keyed insert still guards against a concurrent writer adding the same key in between.
        """
        unique = list({one.event.key: one for one in reversed(arrived)}.values())[::-1]
        with database_errors("storing events"), self._engine.begin() as conn:
            known = existing_event_keys(conn, [one.event.key for one in unique])
            fresh = [one for one in unique if one.event.key not in known]
            processed_at = self._now()
            insert_missing(conn, raw_events, [_raw_row(one) for one in fresh], ("source", "event_id"))
            insert_missing(
                conn, events, [_event_row(one, processed_at) for one in fresh], ("source", "event_id")
            )
            recorded = record_verdicts(conn, verdicts.only_for({one.event.key for one in fresh}),
                                       processed_at) if verdicts else Recorded()
            new_rejections = unrecorded(conn, rejected)
            insert_missing(
                conn,
                rejected_items,
                [rejection_row(one, processed_at) for one in new_rejections],
                ("item_key",),
            )
        return StoreOutcome(stored=len(fresh), duplicates=len(arrived) - len(fresh),
                            rejected=len(new_rejections), matched=recorded.matches,
                            notices=recorded.notices)


def existing_event_keys(conn: Connection, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which keys are stored already, by two plain IN lists on the unique index.

    ``events`` is asked, not ``raw_events``: rows of CSV uploads are events without a raw event
    (their raw form is the stored chunk), and an event posted with the same key is a duplicate.

    A row-value ``(source, event_id) IN (...)`` reads SQLite's whole index (measured: 45% of the
    processor's time, growing with the table); two IN lists are index seeks on both databases.
    The few cross pairs they also match are dropped here.
    """
    if not keys:
        return set()
    query = select(events.c.source, events.c.event_id).where(
        events.c.source.in_({source for source, _ in keys}),
        events.c.event_id.in_({event_id for _, event_id in keys}),
    )
    wanted = set(keys)
    return {(row.source, row.event_id) for row in conn.execute(query)} & wanted


def unrecorded(conn: Connection, rejected: Sequence[RejectedItem]) -> list[RejectedItem]:
    unique = list({one.item_key: one for one in rejected}.values())
    if not unique:
        return []
    query = select(rejected_items.c.item_key).where(
        rejected_items.c.item_key.in_([one.item_key for one in unique])
    )
    known = set(conn.scalars(query))
    return [one for one in unique if one.item_key not in known]


def _raw_row(one: ArrivedEvent) -> dict[str, Any]:
    return {
        "source": one.event.source,
        "event_id": one.event.event_id,
        "message_id": one.message_id,
        "received_at": one.event.received_at,
        "payload": one.raw_payload,
    }


def _event_row(one: ArrivedEvent, processed_at: datetime) -> dict[str, Any]:
    event = one.event
    return {
        "source": event.source,
        "event_id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": event.received_at,
        "processed_at": processed_at,
        "data": dict(event.data),
    }


def rejection_row(one: RejectedItem, rejected_at: datetime) -> dict[str, Any]:
    return {
        "item_key": one.item_key,
        "source": one.source,
        "event_id": one.event_id,
        "reason": one.reason[:255],
        "errors": [error.as_dict() for error in one.errors],
        "payload": one.payload,
        "received_at": one.received_at,
        "rejected_at": rejected_at,
        "upload_id": one.upload_id,
        "line": one.line,
    }
