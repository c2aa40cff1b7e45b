"""Threshold windows' buckets in the database: one upsert per batch, one read, bounded pruning.

A batch's buckets go in as one multi-row upsert that adds to the stored aggregates (MySQL
``INSERT … ON DUPLICATE KEY UPDATE entries = entries + VALUES(entries) …``, SQLite ``ON CONFLICT
DO UPDATE … excluded.…``, both through ``new_rows.upsert`` and written once, ``_changes``), rows
sorted by key so two writers lock them in one order. The bucket's latest entry moves only to a
later one. MySQL applies the assignments left to right, each seeing the ones before it, so the
event id is decided first (on the stored latest entry as it was), then the source (on the stored
time, still unchanged), then the time; SQLite sees the old row in every assignment, where the
same expressions give the same answer.

Which buckets to read, and what they mean, is the domain's (:mod:`chalicelib.domain.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Connection,
    Delete,
    Engine,
    delete,
    literal_column,
    select,
)

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.new_rows import Spelling, stamp_text, table_shape, upsert
from chalicelib.adapters.db.tables import rule_window_buckets, rule_window_tokens
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.rules import BucketRead, GroupKey, WindowBucket, WindowEntry

GROUP = ("rule_id", "state_version", "fingerprint")
KEY = (*GROUP, "bucket_start")
BUCKET_ROWS = table_shape(rule_window_buckets, tuple(rule_window_buckets.c.keys()), KEY)
READ_CHUNK = 100  # selects per UNION ALL; SQLite allows 500 in a compound
PRINTS_PER_SELECT = 500


def add_buckets(
    conn: Connection, deltas: Mapping[GroupKey, Mapping[datetime, WindowBucket]]
) -> None:
    """Add a batch's buckets to the stored ones: one upsert for every bucket, one keyed insert
    for the tokens of distinct rules."""
    rows = sorted(
        (
            (*group, bucket.start, *_aggregates(bucket))
            for group, buckets in deltas.items()
            for bucket in buckets.values()
        ),
        key=lambda row: row[:4],
    )
    if not rows:
        return
    upsert(conn, BUCKET_ROWS, rows, _changes)
    tokens = sorted(
        (*group, bucket.start, token)
        for group, buckets in deltas.items()
        for bucket in buckets.values()
        for token in bucket.tokens
    )
    insert_missing(
        conn,
        rule_window_tokens,
        [dict(zip((*KEY, "token"), row, strict=True)) for row in tokens],
        (*KEY, "token"),
    )


def read_buckets(
    conn: Connection, reads: Sequence[BucketRead]
) -> dict[GroupKey, list[WindowBucket]]:
    """The stored rows of every read, by group: one statement for all of them (a ``UNION ALL``
    per hundred ranges), each range an index range on the primary key.

    The statement is plain SQL with the driver's placeholders, its rows the driver's tuples:
    SQLAlchemy's expanding ``IN`` lists re-render a statement on every execution, and with its
    result processing cost more than the read itself, once per batch."""
    ranges = [
        (read, read.fingerprints[start : start + PRINTS_PER_SELECT])
        for read in reads
        for start in range(0, len(read.fingerprints), PRINTS_PER_SELECT)
    ]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    found: dict[tuple[GroupKey, datetime], tuple[WindowBucket, set[str]]] = {}
    for start in range(0, len(ranges), READ_CHUNK):
        part = ranges[start : start + READ_CHUNK]
        params: list[Any] = []
        for read, prints in part:
            params += [read.rule_id, read.state_version, *prints]
            params += [stamp_text(read.low), stamp_text(read.high)]
        query = " UNION ALL ".join(
            _select(index, read.tokens, len(prints), mark)
            for index, (read, prints) in enumerate(part)
        )
        for row in conn.exec_driver_sql(query, tuple(params)):
            read = part[row[0]][0]
            bucket = _bucket(row)
            key = ((read.rule_id, read.state_version, row[1]), bucket.start)
            if key not in found:
                found[key] = (bucket, set())
            if row[11] is not None:
                found[key][1].add(row[11])
    by_group: dict[GroupKey, list[WindowBucket]] = {}
    for (group, _), (bucket, tokens) in found.items():
        if tokens:
            bucket = WindowBucket(
                bucket.start,
                bucket.latest,
                bucket.count,
                bucket.numbers,
                bucket.total,
                bucket.low,
                bucket.high,
                frozenset(tokens),
            )
        by_group.setdefault(group, []).append(bucket)
    return by_group


class SqlWindowState:
    """The schedule's side of the windows (``WindowState``): pruning what no window needs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def prune(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` buckets, and up to ``limit`` tokens, starting before
        ``before``, in one short transaction; the larger of the two counts."""
        with database_errors("pruning threshold windows"), self._engine.begin() as conn:
            return max(
                _delete_older(conn, table, before, limit)
                for table in (rule_window_buckets, rule_window_tokens)
            )


def _changes(sql: Spelling) -> str:
    """The stored bucket plus the new one, in the order MySQL must apply them (module doc); a
    bare name is the stored value."""
    new = sql.new
    newer = (
        f"({new('latest_at')}, {new('latest_source')}, {new('latest_event_id')})"
        " > (latest_at, latest_source, latest_event_id)"
    )
    source_not_older = f"({new('latest_at')}, {new('latest_source')}) >= (latest_at, latest_source)"
    return ", ".join(
        [
            f"entries = entries + {new('entries')}",
            f"numbers = numbers + {new('numbers')}",
            f"total = total + {new('total')}",
            f"low = {sql.least}(COALESCE(low, {new('low')}), COALESCE({new('low')}, low))",
            f"high = {sql.greatest}(COALESCE(high, {new('high')}), COALESCE({new('high')}, high))",
            f"latest_event_id = CASE WHEN {newer} THEN {new('latest_event_id')}"
            " ELSE latest_event_id END",
            f"latest_source = CASE WHEN {source_not_older} THEN {new('latest_source')}"
            " ELSE latest_source END",
            f"latest_at = {sql.greatest}(latest_at, {new('latest_at')})",
        ]
    )


_READ_COLUMNS = ", ".join(
    f"b.{name}"
    for name in (
        "fingerprint",
        "bucket_start",
        "entries",
        "numbers",
        "total",
        "low",
        "high",
        "latest_at",
        "latest_source",
        "latest_event_id",
    )
)
_WITH_TOKENS = (
    "rule_window_buckets b LEFT OUTER JOIN rule_window_tokens t ON t.rule_id = b.rule_id"
    " AND t.state_version = b.state_version AND t.fingerprint = b.fingerprint"
    " AND t.bucket_start = b.bucket_start"
)


def _select(index: int, with_tokens: bool, prints: int, mark: str) -> str:
    """The read of one range: its part number, the bucket's columns and a token (NULL for
    rules that keep none); bound in order: rule id, state version, ``prints`` fingerprints,
    the lowest and the highest start."""
    source, token = (_WITH_TOKENS, "t.token") if with_tokens else ("rule_window_buckets b", "NULL")
    return (
        f"SELECT {index} AS part, {_READ_COLUMNS}, {token} AS token "  # noqa: S608 (constants)
        f"FROM {source} WHERE b.rule_id = {mark} AND b.state_version = {mark}"
        f" AND b.fingerprint IN ({', '.join([mark] * prints)})"
        f" AND b.bucket_start >= {mark} AND b.bucket_start < {mark}"
    )


def _bucket(row: Any) -> WindowBucket:
    """A row of the read: ``part, fingerprint, bucket_start, entries, numbers, total, low, high,
    latest_at, latest_source, latest_event_id, token``."""
    return WindowBucket(
        _moment(row[2]),
        WindowEntry(_moment(row[8]), row[9], row[10]),
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
    )


def _moment(value: datetime | str) -> datetime:
    """A stored time as the driver gives it (MySQL: a naive datetime; SQLite: its text) as an
    aware UTC datetime, as ``UtcDateTime`` reads it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _aggregates(bucket: WindowBucket) -> tuple[Any, ...]:
    """A bucket's values after its key, in ``BUCKET_ROWS`` order."""
    latest = bucket.latest
    return (
        bucket.count,
        bucket.numbers,
        bucket.total,
        bucket.low,
        bucket.high,
        latest.occurred_at,
        latest.source,
        latest.event_id,
    )


def _delete_older(conn: Connection, table: Any, before: datetime, limit: int) -> int:
    """At most ``limit`` rows starting before ``before``: MySQL deletes with a ``LIMIT``,
    SQLite (whose ``DELETE`` takes none unless compiled so) by rowid."""
    statement: Delete
    if conn.dialect.name == "sqlite":
        rowid: ColumnClause[Any] = literal_column("rowid")
        older = select(rowid).select_from(table).where(table.c.bucket_start < before).limit(limit)
        statement = delete(table).where(rowid.in_(older))
    else:
        statement = (
            delete(table)
            .where(table.c.bucket_start < before)
            .with_dialect_options(mysql_limit=limit)
        )
    return int(conn.execute(statement).rowcount or 0)
