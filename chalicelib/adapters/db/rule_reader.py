"""The rules' side of the database for reading: match counts, stored events for a dry-run, and
the absence rules' sightings (and the transaction their silences are recorded in)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, func, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.rule_state import SqlRuleWork
from chalicelib.adapters.db.tables import events, rule_failures, rule_groups, rule_matches
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.events import Event
from chalicelib.domain.rules import GroupValues, MatchCount, Sighting


class SqlRuleReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def match_counts(self) -> list[MatchCount]:
        query = select(
            rule_matches.c.rule_id,
            rule_matches.c.rule_version,
            func.count().label("matches"),
            func.max(rule_matches.c.occurred_at).label("last"),
        ).group_by(rule_matches.c.rule_id, rule_matches.c.rule_version)
        with database_errors("counting rule matches"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [MatchCount(row.rule_id, row.rule_version, row.matches, row.last) for row in rows]

    def failure_counts(self) -> dict[str, int]:
        query = select(rule_failures.c.rule_id, func.count().label("failures")).group_by(
            rule_failures.c.rule_id
        )
        with database_errors("counting rule failures"), self._engine.connect() as conn:
            return {row.rule_id: row.failures for row in conn.execute(query)}

    def events_between(
        self, since: datetime, until: datetime, sources: Sequence[str], limit: int
    ) -> list[Event]:
        query = (
            select(events)
            .where(events.c.occurred_at >= since, events.c.occurred_at < until)
            .order_by(events.c.occurred_at, events.c.id)
            .limit(limit)
        )
        if sources:
            query = query.where(events.c.source.in_(sources))
        with database_errors("reading events for a dry-run"), self._engine.connect() as conn:
            return [_event(row) for row in conn.execute(query)]


class SqlAbsenceState:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def sightings(
        self,
        rule_id: str,
        state_version: str,
        expected: Sequence[tuple[str, GroupValues]],
        now: datetime,
    ) -> list[Sighting]:
        mine = (rule_groups.c.rule_id == rule_id, rule_groups.c.state_version == state_version)
        with database_errors("reading sightings"), self._engine.begin() as conn:
            insert_missing(
                conn,
                rule_groups,
                [
                    {
                        "rule_id": rule_id,
                        "state_version": state_version,
                        "fingerprint": print_,
                        "group_values": [list(pair) for pair in group],
                        "since": now,
                        "last_seen_at": None,
                    }
                    for print_, group in expected
                ],
                ("rule_id", "state_version", "fingerprint"),
            )
            rows = conn.execute(select(rule_groups).where(*mine)).all()
        return [
            Sighting(
                row.fingerprint,
                tuple((name, value) for name, value in row.group_values),
                row.since,
                row.last_seen_at,
            )
            for row in rows
        ]

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlRuleWork]:
        """One transaction for one absence rule's silences and the alerts they open."""
        with database_errors("recording absences"), self._engine.begin() as conn:
            yield SqlRuleWork(conn)


def _event(row: Row[Any]) -> Event:
    return Event(row.source, row.type, row.event_id, row.occurred_at, row.received_at, row.data)
