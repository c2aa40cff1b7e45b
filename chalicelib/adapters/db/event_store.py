"""SqlEventStore: raw rows, processed rows, rejections and the rules' state, in one transaction.

The service decides (what the rules' verdicts change); this store opens the transaction and
writes what it is handed, saying which rows were new (:mod:`new_rows`): the processed row is the
gate, so an event some other transaction stored first, or stored long ago, is never new twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.event_rows import (
    EVENTS,
    RAW_EVENTS,
    REJECTED_ITEMS,
    arrived_row,
    raw_row,
    rejection_row,
)
from chalicelib.adapters.db.new_rows import insert_all, insert_new
from chalicelib.adapters.db.rule_state import SqlRuleWork
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

    def add_new_events(
        self, arrived: Sequence[ArrivedEvent], processed_at: datetime
    ) -> list[ArrivedEvent]:
        """Processed rows first, as the gate (a CSV row stored under the same key makes a posted
        event a duplicate too), then the raw rows of the events that were new."""
        new = [
            arrived[index]
            for index in insert_new(
                self._conn, EVENTS, [arrived_row(one, processed_at) for one in arrived]
            )
        ]
        insert_all(self._conn, RAW_EVENTS, [raw_row(one) for one in new])
        return new

    def add_new_rejections(self, rejected: Sequence[RejectedItem], at: datetime) -> int:
        return len(
            insert_new(self._conn, REJECTED_ITEMS, [rejection_row(one, at) for one in rejected])
        )
