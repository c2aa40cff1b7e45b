"""The rules' state inside a transaction: group rows, window entries, failures and matches.

Matches, window entries and failures are keyed by their event, so a redelivered event records
nothing twice. Which windows cross is decided by the service on the entries read here
(:mod:`chalicelib.services.verdicts`), not on what a batch happened to carry, so an event that
arrives late lands in the window it belongs to.

Two processors may add to one group's window at once. Each locks the group's row first
(:meth:`SqlRuleWork.advance_groups`, in key order, so two batches never wait on each other in a
circle), then reads the window. Without the lock, two transactions could each see four of five
declined payments and neither would fire (a test races writers on MySQL). The read sees what the
other committed because the engine runs MySQL at READ COMMITTED (``engine.make_engine``); under
repeatable read it would need to be a locking read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, union_all

from chalicelib.adapters.db.alert_state import SqlAlertWork
from chalicelib.adapters.db.tables import (
    rule_failures,
    rule_groups,
    rule_matches,
    rule_window_entries,
)
from chalicelib.adapters.db.upsert import insert_missing, insert_or_advance
from chalicelib.domain.rules import RuleFailure, RuleMatch, Sighting, WindowEntry, WindowHit

READ_CHUNK = 100  # (group, span) ranges per statement; SQLite allows 500 in a compound


class SqlRuleWork(SqlAlertWork):
    """The rules' side of one open transaction (``VerdictWork``), with its alerts."""

    def advance_groups(self, seen: Mapping[tuple[str, str], Sequence[Sighting]]) -> None:
        """One upsert for every group, sorted by ``(rule id, state version, fingerprint)``: on
        MySQL it locks each group's row in that order until the transaction ends."""
        rows = sorted(
            (
                {
                    "rule_id": rule_id,
                    "state_version": version,
                    "fingerprint": one.fingerprint,
                    "group_values": [list(pair) for pair in one.group],
                    "since": one.since,
                    "last_seen_at": one.last_seen_at,
                }
                for (rule_id, version), sightings in seen.items()
                for one in sightings
            ),
            key=lambda row: (row["rule_id"], row["state_version"], row["fingerprint"]),
        )
        insert_or_advance(
            self._conn,
            rule_groups,
            rows,
            ("rule_id", "state_version", "fingerprint"),
            "last_seen_at",
        )

    def add_window_entries(self, hits: Sequence[WindowHit]) -> None:
        insert_missing(
            self._conn,
            rule_window_entries,
            [_entry_row(hit) for hit in hits],
            ("rule_id", "state_version", "source", "event_id"),
        )

    def window_entries(
        self, rule_id: str, state_version: str, spans: Sequence[tuple[str, datetime, datetime]]
    ) -> dict[str, list[WindowEntry]]:
        """One ``UNION ALL`` of index ranges per hundred spans: an ``OR`` of the same ranges made
        SQLite read every entry of the rule."""
        table = rule_window_entries
        columns = (
            table.c.fingerprint,
            table.c.occurred_at,
            table.c.source,
            table.c.event_id,
            table.c.number,
            table.c.token,
        )
        found: dict[str, list[WindowEntry]] = {}
        for start in range(0, len(spans), READ_CHUNK):
            query = union_all(
                *(
                    select(*columns).where(
                        table.c.rule_id == rule_id,
                        table.c.state_version == state_version,
                        table.c.fingerprint == print_,
                        table.c.occurred_at > low,
                        table.c.occurred_at < high,
                    )
                    for print_, low, high in spans[start : start + READ_CHUNK]
                )
            )
            for row in self._conn.execute(query):
                found.setdefault(row.fingerprint, []).append(
                    WindowEntry(row.occurred_at, row.source, row.event_id, row.number, row.token)
                )
        return found

    def add_failures(self, failures: Sequence[RuleFailure], at: datetime) -> None:
        insert_missing(
            self._conn,
            rule_failures,
            [
                {
                    "rule_id": one.rule_id,
                    "rule_version": one.rule_version,
                    "source": one.source,
                    "event_id": one.event_id,
                    "reason": one.reason[:500],
                    "failed_at": at,
                }
                for one in failures
            ],
            ("rule_id", "source", "event_id"),
        )

    def recorded_matches(self, matches: Sequence[RuleMatch]) -> set[tuple[str, str]]:
        if not matches:
            return set()
        return {
            (row.rule_id, row.match_key)
            for row in self._conn.execute(
                select(rule_matches.c.rule_id, rule_matches.c.match_key).where(
                    rule_matches.c.match_key.in_({one.match_key for one in matches})
                )
            )
        }

    def add_matches(self, matches: Sequence[RuleMatch], at: datetime) -> None:
        insert_missing(
            self._conn,
            rule_matches,
            [_match_row(one, at) for one in matches],
            ("rule_id", "match_key"),
        )


def _entry_row(hit: WindowHit) -> dict[str, Any]:
    return {
        "rule_id": hit.rule.id,
        "state_version": hit.rule.state_version,
        "fingerprint": hit.fingerprint,
        "source": hit.source,
        "event_id": hit.event_id,
        "occurred_at": hit.occurred_at,
        "number": hit.number,
        "token": hit.token,
    }


def _match_row(match: RuleMatch, at: datetime) -> dict[str, Any]:
    return {
        "rule_id": match.rule_id,
        "rule_version": match.rule_version,
        "kind": match.kind,
        "match_key": match.match_key,
        "fingerprint": match.fingerprint,
        "group_values": [list(pair) for pair in match.group],
        "source": match.source,
        "event_id": match.event_id,
        "occurred_at": match.occurred_at,
        "observed": match.observed,
        "matched_at": at,
    }
