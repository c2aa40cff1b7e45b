"""The whole database as data, to compare a run that met a fault with a clean run of the same work.

A snapshot holds, for every table of ``tables.metadata``, its rows as sorted tuples of the columns
whose values must not depend on how often or in which order messages were delivered. Both runs
share a :class:`~tests.builders.FixedClock` and the same S3 event time, so every time the app takes
from its clock, or from a notification, is the same in both and is compared. What is left out,
table by table, is in ``EXCLUDED`` with the reason; references to a left-out key are replaced by
what identifies the row they point at (an alert by its fingerprint and opening, an outbox row by
its alert and transition), so they are compared too.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, select

from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import metadata, rejected_items

Snapshot = dict[str, list[tuple[Any, ...]]]

# Autoincrement ids are left out everywhere: an upsert that finds its key burns a value on MySQL,
# a rolled-back transaction burns them on both, so a replay moves them without changing anything.
AUTO_ID = "id"
EXCLUDED: dict[str, frozenset[str]] = {
    # message_id: the SQS message that carried the event; a redelivered or re-posted event comes
    # in another message, and the first one stored wins.
    "raw_events": frozenset({AUTO_ID, "message_id"}),
    "events": frozenset({AUTO_ID}),
    # item_key of an undecodable message is "sqs:<message id>": compared as "sqs:*" (see _row).
    "rejected_items": frozenset({AUTO_ID}),
    # claimed_by: the id of the notification message that won the claim; a duplicate S3
    # notification is another message, and either may win.
    "uploads": frozenset({"claimed_by"}),
    "upload_chunks": frozenset(),
    "rule_matches": frozenset({AUTO_ID}),
    # windows' buckets add up the events stored for the first time, in any order: compared whole
    # (the workload's amounts add up exactly in floating point, in any order)
    "rule_window_buckets": frozenset(),
    "rule_window_tokens": frozenset(),
    # since: the earliest event time of the batch that first sighted the group, so it depends on
    # which batch came first; it is read only for a group never sighted (absence rules' listed
    # entities, created by the schedule with since = now), and last_seen_at, compared, only moves
    # forward.
    "rule_groups": frozenset({"since"}),
    "rule_failures": frozenset({AUTO_ID}),
    "alerts": frozenset({AUTO_ID}),
    "alert_fingerprints": frozenset(),
    # alert_id and outbox_id: autoincrement keys, replaced by the alert's and outbox row's identity.
    "alert_timeline": frozenset({AUTO_ID}),
    # message_id: SNS's id of the published email, new on every publish.
    "alert_outbox": frozenset({AUTO_ID, "message_id"}),
    # id: a random uuid from the container's new_id; outbox rows name a silence by its content.
    "silences": frozenset({AUTO_ID}),
    # the test client's key, copied into every database of a test: compared whole.
    "api_keys": frozenset(),
    "audit_log": frozenset({AUTO_ID}),
    # reports and digests are asked for by people, never by the pipeline's messages: the fault
    # workload writes none, and any it did would be compared whole (message_id: SNS's, as above).
    "reports": frozenset(),
    "digests": frozenset({"message_id"}),
    # replays are asked for by people too: the fault workload starts none (compared whole).
    "replays": frozenset(),
    "replay_chunks": frozenset(),
    # known errors' matches: the fault workload's uploads fail with none (compared whole).
    "known_error_remedies": frozenset(),
}


def snapshot(database: Engine | str) -> Snapshot:
    """Every table's rows, minus the excluded columns, as a sorted list of tuples. Given a URL,
    read through an engine of its own (the app's may be the one a fault is injected on)."""
    unknown = set(metadata.tables) - set(EXCLUDED)
    assert not unknown, f"decide which columns of {sorted(unknown)} a fault may change"
    engine = make_engine(database) if isinstance(database, str) else database
    try:
        with engine.connect() as conn:
            rows = {
                table.name: [dict(row._mapping) for row in conn.execute(select(table))]
                for table in metadata.sorted_tables
            }
    finally:
        if isinstance(database, str):
            engine.dispose()
    alert_keys = _alert_keys(rows["alerts"])
    outbox_keys = {
        row["id"]: (alert_keys[row["alert_id"]], row["transition"]) for row in rows["alert_outbox"]
    }
    silence_keys = {
        row["id"]: (row["author"], row["comment"], row["created_at"]) for row in rows["silences"]
    }
    references = {
        ("alert_timeline", "alert_id"): alert_keys,
        ("alert_outbox", "alert_id"): alert_keys,
        ("alert_timeline", "outbox_id"): outbox_keys,
        ("alert_outbox", "silence_id"): silence_keys,
    }
    return {
        name: ordered(_row(metadata.tables[name], row, references) for row in found)
        for name, found in rows.items()
    }


def counts(state: Snapshot) -> dict[str, int]:
    """Rows per table, the empty ones and the test client's key left out."""
    return {name: len(rows) for name, rows in state.items() if rows and name != "api_keys"}


def differences(clean: Snapshot, faulty: Snapshot) -> dict[str, dict[str, list[Any]]]:
    """Per table, the rows only the clean run has and those only the faulty run has; the
    assertion message when two snapshots differ."""
    found = {}
    for name in clean:
        before, after = Counter(clean[name]), Counter(faulty.get(name, []))
        if before != after:
            found[name] = {
                "clean only": list((before - after).elements()),
                "faulty only": list((after - before).elements()),
            }
    return found


def project(state: Snapshot, table: Table, *names: str) -> list[tuple[Any, ...]]:
    """Some columns of a snapshot's table, one tuple per row, sorted."""
    kept = [one.name for one in table.columns if one.name not in EXCLUDED[table.name]]
    positions = [kept.index(name) for name in names]
    return ordered(tuple(row[position] for position in positions) for row in state[table.name])


def ordered(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows in the order snapshots keep them: by their text, since a column may mix None with
    values, which Python will not compare."""
    return sorted(rows, key=repr)


def _row(
    table: Table, row: dict[str, Any], references: dict[tuple[str, str], dict[Any, Any]]
) -> tuple[Any, ...]:
    values = []
    for one in table.columns:
        if one.name in EXCLUDED[table.name]:
            continue
        value = row[one.name]
        mapping = references.get((table.name, one.name))
        if mapping is not None and value is not None:
            value = mapping[value]
        if table is rejected_items and one.name == "item_key" and value.startswith("sqs:"):
            value = "sqs:*"
        values.append(_plain(value))
    return tuple(values)


def _alert_keys(rows: list[dict[str, Any]]) -> dict[int, tuple[Any, ...]]:
    """An alert is its fingerprint and when it opened (a fingerprint opens again only after its
    previous alert resolved); the ordinal separates two opened at the same instant."""
    keys: dict[int, tuple[Any, ...]] = {}
    seen: Counter[tuple[str, datetime]] = Counter()
    for row in sorted(rows, key=lambda one: one["id"]):
        opening = (row["fingerprint"], row["opened_at"])
        keys[row["id"]] = (row["rule_id"], *opening, seen[opening])
        seen[opening] += 1
    return keys


def _plain(value: Any) -> Any:
    """JSON columns as canonical text, so rows are hashable and compare by content."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value
