"""The rules' state inside a transaction: group rows, window buckets, failures and matches.

Matches and failures are keyed by their event, so a redelivered event records nothing twice; a
window's buckets are added to only by events stored for the first time (the storing service
passes only those), so they count nothing twice either. Which windows cross is decided by the
service on the buckets read here (:mod:`chalicelib.services.verdicts`), not on what a batch
happened to carry, so an event that arrives late lands in the window it belongs to.

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

from sqlalchemy import bindparam, select, update

from chalicelib.adapters.db.alert_state import SqlAlertWork
from chalicelib.adapters.db.event_rows import RULE_MATCHES, match_row
from chalicelib.adapters.db.new_rows import insert_new
from chalicelib.adapters.db.tables import rule_failures, rule_groups, rule_matches
from chalicelib.adapters.db.upsert import insert_missing, insert_or_advance
from chalicelib.adapters.db.window_state import add_buckets, read_buckets
from chalicelib.domain.rules import (
    BucketRead,
    GroupKey,
    RuleFailure,
    RuleMatch,
    Sighting,
    WindowBucket,
)


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

    def add_window_buckets(
        self, deltas: Mapping[GroupKey, Mapping[datetime, WindowBucket]]
    ) -> None:
        add_buckets(self._conn, deltas)

    def window_buckets(self, reads: Sequence[BucketRead]) -> dict[GroupKey, list[WindowBucket]]:
        return read_buckets(self._conn, reads)

    def revise_observed(self, matches: Sequence[RuleMatch]) -> list[RuleMatch]:
        """One read of the matches' stored values, one update of those that differ."""
        if not matches:
            return []
        wanted = {(one.rule_id, one.match_key): one for one in matches}
        stored = self._conn.execute(
            select(rule_matches.c.rule_id, rule_matches.c.match_key, rule_matches.c.observed).where(
                rule_matches.c.match_key.in_({one.match_key for one in matches})
            )
        )
        revised = [
            wanted[(row.rule_id, row.match_key)]
            for row in stored
            if (row.rule_id, row.match_key) in wanted
            and row.observed != wanted[(row.rule_id, row.match_key)].observed
        ]
        if revised:
            self._conn.execute(
                update(rule_matches)
                .where(
                    rule_matches.c.rule_id == bindparam("the_rule"),
                    rule_matches.c.match_key == bindparam("the_key"),
                )
                .values(observed=bindparam("the_observed")),
                [
                    {
                        "the_rule": one.rule_id,
                        "the_key": one.match_key,
                        "the_observed": one.observed,
                    }
                    for one in revised
                ],
            )
        return revised

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

    def add_new_matches(self, matches: Sequence[RuleMatch], at: datetime) -> list[RuleMatch]:
        """Record the matches (each key at most once) not recorded yet; the ones recorded now."""
        added = insert_new(self._conn, RULE_MATCHES, [match_row(one, at) for one in matches])
        return [matches[index] for index in added]
