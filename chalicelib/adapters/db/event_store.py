"""SqlEventStore: raw rows, processed rows, rejections and the rules' state, in one transaction.

The service decides (which events are fresh, what the rules' verdicts change); this store opens
the transaction, answers its reads and writes the rows it is handed. Raw rows go in before
processed ones, and every insert is keyed, so a redelivery or a concurrent writer adding the same
key in between changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.rule_state import SqlRuleWork
from chalicelib.adapters.db.tables import events, raw_events, rejected_items
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.events import ArrivedEvent, RejectedItem


class SqlEventStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlEventWork]:
        with database_errors("storing events"), self._engine.begin() as conn:
            yield SqlEventWork(conn)


class SqlEventWork(SqlRuleWork):
    """Events and rejections in one open transaction (``EventWork``), with the rules' state."""

    def stored_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which keys are stored already, by two plain IN lists on the unique index.

        ``events`` is asked, not ``raw_events``: rows of CSV uploads are events without a raw
        event (their raw form is the stored chunk), and an event posted with the same key is a
        duplicate.

        A row-value ``(source, event_id) IN (...)`` reads SQLite's whole index (measured: 45% of
        the processor's time, growing with the table); two IN lists are index seeks on both
        databases. The few cross pairs they also match are dropped here.
        """
        if not keys:
            return set()
        query = select(events.c.source, events.c.event_id).where(
            events.c.source.in_({source for source, _ in keys}),
            events.c.event_id.in_({event_id for _, event_id in keys}),
        )
        wanted = set(keys)
        return {(row.source, row.event_id) for row in self._conn.execute(query)} & wanted

    def add_events(self, arrived: Sequence[ArrivedEvent], processed_at: datetime) -> None:
        """Raw first, processed after."""
        key = ("source", "event_id")
        insert_missing(self._conn, raw_events, [_raw_row(one) for one in arrived], key)
        insert_missing(self._conn, events, [_event_row(one, processed_at) for one in arrived], key)

    def recorded_rejections(self, item_keys: Sequence[str]) -> set[str]:
        if not item_keys:
            return set()
        query = select(rejected_items.c.item_key).where(rejected_items.c.item_key.in_(item_keys))
        return set(self._conn.scalars(query))

    def add_rejections(self, rejected: Sequence[RejectedItem], at: datetime) -> None:
        insert_missing(
            self._conn, rejected_items, [_rejection_row(one, at) for one in rejected], ("item_key",)
        )


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


def _rejection_row(one: RejectedItem, rejected_at: datetime) -> dict[str, Any]:
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
