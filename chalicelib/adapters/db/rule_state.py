"""Recording what the rules said, inside the transaction that stores the events it was said of.

Matches, window entries and failures are keyed by their event, so a redelivered event records
nothing twice. Threshold windows are decided on the entries in the database, not on what this
batch happened to carry, so an event that arrives late lands in the window it belongs to.

Two processors may add to one group's window at once. Each locks the group's row first (in key
order, so two batches never wait on each other in a circle), then reads the window. Without the
lock, two transactions could each see four of five declined payments and neither would fire (a
test races writers on MySQL). The read sees what the other committed because the engine runs
MySQL at READ COMMITTED (``engine.make_engine``); under repeatable read it would need to be a
locking read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, union_all

from chalicelib.adapters.db.alert_state import apply_matches, fresh_matches
from chalicelib.adapters.db.tables import (
    rule_failures,
    rule_groups,
    rule_matches,
    rule_window_entries,
)
from chalicelib.adapters.db.upsert import insert_missing, insert_or_advance
from chalicelib.domain.rule_model import Rule, Threshold
from chalicelib.domain.rule_verdicts import GroupValues, RuleMatch, Verdicts, WindowHit
from chalicelib.domain.rule_windows import WindowEntry, affected_spans, crossings

GroupKey = tuple[str, str, str]  # rule id, state version, fingerprint
READ_CHUNK = 100  # (group, span) ranges per statement; SQLite allows 500 in a compound


@dataclass
class _Group:
    rule: Rule
    group: GroupValues
    first: datetime
    last: datetime


@dataclass(frozen=True)
class Recorded:
    """What recording verdicts did: matches recorded (threshold crossings included) and
    notifications queued by the alerts they opened."""

    matches: int = 0
    notices: int = 0


def record_verdicts(conn: Connection, verdicts: Verdicts, at: datetime) -> Recorded:
    """Write ``verdicts`` (of freshly stored events only), decide the windows they changed, and
    open or add to the alerts of the matches that are new."""
    groups = _groups(verdicts)
    if groups:
        _lock_groups(conn, groups)
    matches = list(verdicts.matches)
    if verdicts.window_hits:
        insert_missing(conn, rule_window_entries, [_entry_row(hit) for hit in verdicts.window_hits],
                       ("rule_id", "state_version", "source", "event_id"))
        matches.extend(_window_matches(conn, verdicts.window_hits))
    insert_missing(conn, rule_failures, [
        {"rule_id": one.rule_id, "rule_version": one.rule_version, "source": one.source,
         "event_id": one.event_id, "reason": one.reason[:500], "failed_at": at}
        for one in verdicts.failures], ("rule_id", "source", "event_id"))
    fresh = fresh_matches(conn, matches)
    insert_matches(conn, matches, at)
    rules = verdicts.rules | {hit.rule.id: hit.rule for hit in verdicts.window_hits}
    return Recorded(len(matches), apply_matches(conn, fresh, rules, at))


def insert_matches(conn: Connection, matches: Sequence[RuleMatch], at: datetime) -> None:
    insert_missing(conn, rule_matches, [_match_row(one, at) for one in matches],
                   ("rule_id", "match_key"))


def _groups(verdicts: Verdicts) -> dict[GroupKey, _Group]:
    groups: dict[GroupKey, _Group] = {}
    hits: Iterable[Any] = [*verdicts.window_hits, *verdicts.sightings]
    for hit in hits:
        key = (hit.rule.id, hit.rule.state_version, hit.fingerprint)
        known = groups.get(key)
        if known is None:
            groups[key] = _Group(hit.rule, hit.group, hit.occurred_at, hit.occurred_at)
        else:
            known.first = min(known.first, hit.occurred_at)
            known.last = max(known.last, hit.occurred_at)
    return groups


def _lock_groups(conn: Connection, groups: dict[GroupKey, _Group]) -> None:
    """Create missing group rows and move sightings forward, in key order; on MySQL the upsert
    locks each group's row until this transaction ends."""
    insert_or_advance(conn, rule_groups, [
        {"rule_id": key[0], "state_version": key[1], "fingerprint": key[2],
         "group_values": [list(pair) for pair in groups[key].group], "since": groups[key].first,
         "last_seen_at": groups[key].last} for key in sorted(groups)],
        ("rule_id", "state_version", "fingerprint"), "last_seen_at")


def _window_matches(conn: Connection, hits: Sequence[WindowHit]) -> list[RuleMatch]:
    """Each rule's windows read in one query for all its groups in the batch (a chunk of a CSV
    file may touch thousands of cards), then decided group by group."""
    by_rule: dict[tuple[str, str], dict[str, list[WindowHit]]] = {}
    for hit in hits:
        rule_key = (hit.rule.id, hit.rule.state_version)
        by_rule.setdefault(rule_key, {}).setdefault(hit.fingerprint, []).append(hit)
    found = []
    for (rule_id, version), groups in sorted(by_rule.items()):
        rule = next(iter(groups.values()))[0].rule
        threshold = rule.threshold
        assert threshold is not None
        entries = _entries(conn, rule_id, version, groups, threshold)
        for print_, fresh in sorted(groups.items()):
            times = [hit.occurred_at for hit in fresh]
            for crossing in crossings(threshold, entries.get(print_, []), times):
                end = crossing.end
                found.append(RuleMatch(rule.id, rule.version, "threshold",
                                       f"window:{end.source}:{end.event_id}", print_,
                                       fresh[0].group, end.occurred_at, end.source, end.event_id,
                                       crossing.observed))
    return found


def _entries(conn: Connection, rule_id: str, version: str, groups: dict[str, list[WindowHit]],
             threshold: Threshold) -> dict[str, list[WindowEntry]]:
    """The stored entries the fresh ones' windows need, by group: each group's own spans around
    its fresh entries. One ``UNION ALL`` of index ranges per hundred spans: an ``OR`` of the same
    ranges made SQLite read every entry of the rule."""
    table = rule_window_entries
    columns = (table.c.fingerprint, table.c.occurred_at, table.c.source, table.c.event_id,
               table.c.number, table.c.token)
    spans = [(print_, low, high) for print_ in sorted(groups)
             for low, high in affected_spans(threshold, [hit.occurred_at for hit in groups[print_]])]
    found: dict[str, list[WindowEntry]] = {}
    for start in range(0, len(spans), READ_CHUNK):
        query = union_all(*(
            select(*columns).where(table.c.rule_id == rule_id, table.c.state_version == version,
                                   table.c.fingerprint == print_, table.c.occurred_at > low,
                                   table.c.occurred_at < high)
            for print_, low, high in spans[start:start + READ_CHUNK]))
        for row in conn.execute(query):
            found.setdefault(row.fingerprint, []).append(
                WindowEntry(row.occurred_at, row.source, row.event_id, row.number, row.token))
    return found


def _entry_row(hit: WindowHit) -> dict[str, Any]:
    return {"rule_id": hit.rule.id, "state_version": hit.rule.state_version,
            "fingerprint": hit.fingerprint, "source": hit.source, "event_id": hit.event_id,
            "occurred_at": hit.occurred_at, "number": hit.number, "token": hit.token}


def _match_row(match: RuleMatch, at: datetime) -> dict[str, Any]:
    return {"rule_id": match.rule_id, "rule_version": match.rule_version, "kind": match.kind,
            "match_key": match.match_key, "fingerprint": match.fingerprint,
            "group_values": [list(pair) for pair in match.group], "source": match.source,
            "event_id": match.event_id, "occurred_at": match.occurred_at,
            "observed": match.observed, "matched_at": at}
