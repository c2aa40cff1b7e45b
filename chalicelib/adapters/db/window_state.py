"""Threshold windows' buckets in the database: one upsert per batch, one read, bounded pruning.

A batch's buckets go in as one multi-row upsert that adds to the stored aggregates (MySQL
``INSERT … ON DUPLICATE KEY UPDATE entries = entries + VALUES(entries) …``, SQLite ``ON CONFLICT
DO UPDATE … excluded.…``), rows sorted by key so two writers lock them in one order. The bucket's
latest entry moves only to a later one. MySQL applies the assignments left to right, each seeing
the ones before it, so the event id is decided first (on the stored latest entry as it was), then
the source (on the stored time, still unchanged), then the time; SQLite sees the old row in every
assignment, where the same expressions give the same answer.

Which buckets to read, and what they mean, is the domain's (:mod:`chalicelib.domain.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    Delete,
    Engine,
    Executable,
    Select,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import mysql, sqlite

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import rule_window_buckets, rule_window_tokens
from chalicelib.adapters.db.upsert import insert_missing
from chalicelib.domain.rules import BucketRead, GroupKey, WindowBucket, WindowEntry

GROUP = ("rule_id", "state_version", "fingerprint")
KEY = (*GROUP, "bucket_start")
READ_CHUNK = 100  # selects per UNION ALL; SQLite allows 500 in a compound
PRINTS_PER_SELECT = 500


def add_buckets(
    conn: Connection, deltas: Mapping[GroupKey, Mapping[datetime, WindowBucket]]
) -> None:
    """Add a batch's buckets to the stored ones: one upsert for every bucket, one keyed insert
    for the tokens of distinct rules."""
    rows = sorted(
        (
            _bucket_row(group, bucket)
            for group, buckets in deltas.items()
            for bucket in buckets.values()
        ),
        key=lambda row: tuple(row[name] for name in KEY),
    )
    if not rows:
        return
    conn.execute(_upsert(conn.dialect.name), rows)
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
    per hundred ranges), each range an index range on the primary key."""
    ranges = [
        (read, read.fingerprints[start : start + PRINTS_PER_SELECT])
        for read in reads
        for start in range(0, len(read.fingerprints), PRINTS_PER_SELECT)
    ]
    found: dict[tuple[GroupKey, datetime], tuple[WindowBucket, set[str]]] = {}
    for start in range(0, len(ranges), READ_CHUNK):
        part = ranges[start : start + READ_CHUNK]
        params: dict[str, Any] = {}
        for index, (read, prints) in enumerate(part):
            params[f"rule_{index}"] = read.rule_id
            params[f"version_{index}"] = read.state_version
            params[f"prints_{index}"] = list(prints)
            params[f"low_{index}"] = read.low
            params[f"high_{index}"] = read.high
        query = _read_statement(tuple(read.tokens for read, _ in part))
        for row in conn.execute(query, params):
            read = part[row.part][0]
            key = ((read.rule_id, read.state_version, row.fingerprint), row.bucket_start)
            if key not in found:
                found[key] = (_bucket(row), set())
            if row.token is not None:
                found[key][1].add(row.token)
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


@lru_cache(maxsize=4)
def _upsert(dialect: str) -> Any:
    table = rule_window_buckets
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        changes = _changes(lite.excluded, func.min, func.max)
        return lite.on_conflict_do_update(index_elements=list(KEY), set_=dict(changes))
    if dialect in ("mysql", "mariadb"):
        my = mysql.insert(table)
        return my.on_duplicate_key_update(_changes(my.inserted, func.least, func.greatest))
    raise NotImplementedError(f"no bucket upsert for the {dialect} dialect")


def _changes(new: Any, least: Any, greatest: Any) -> list[tuple[str, ColumnElement[Any]]]:
    """The stored bucket plus the new one, in the order MySQL must apply them (module doc)."""
    old = rule_window_buckets.c
    newer = tuple_(new.latest_at, new.latest_source, new.latest_event_id) > tuple_(
        old.latest_at, old.latest_source, old.latest_event_id
    )
    source_not_older = tuple_(new.latest_at, new.latest_source) >= tuple_(
        old.latest_at, old.latest_source
    )
    return [
        ("entries", old.entries + new.entries),
        ("numbers", old.numbers + new.numbers),
        ("total", old.total + new.total),
        ("low", least(func.coalesce(old.low, new.low), func.coalesce(new.low, old.low))),
        ("high", greatest(func.coalesce(old.high, new.high), func.coalesce(new.high, old.high))),
        ("latest_event_id", case((newer, new.latest_event_id), else_=old.latest_event_id)),
        ("latest_source", case((source_not_older, new.latest_source), else_=old.latest_source)),
        ("latest_at", greatest(old.latest_at, new.latest_at)),
    ]


@lru_cache(maxsize=64)
def _read_statement(tokens: tuple[bool, ...]) -> Executable:
    """The read of ``len(tokens)`` ranges, built once per shape (building a statement costs
    more than running it); each range's values are bound as ``rule_<n>``, ``version_<n>``,
    ``prints_<n>``, ``low_<n>`` and ``high_<n>``."""
    selects = [_select(index, one) for index, one in enumerate(tokens)]
    return selects[0] if len(selects) == 1 else union_all(*selects)


def _select(index: int, with_tokens: bool) -> Select[Any]:
    table = rule_window_buckets
    columns: list[ColumnElement[Any]] = [literal_column(str(index)).label("part")] + [
        table.c[name]
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
    ]
    if with_tokens:
        tokens = rule_window_tokens
        joined = table.outerjoin(tokens, and_(*(tokens.c[name] == table.c[name] for name in KEY)))
        query = select(*columns, tokens.c.token).select_from(joined)
    else:
        query = select(*columns, literal(None, String(32)).label("token"))
    return query.where(
        table.c.rule_id == bindparam(f"rule_{index}"),
        table.c.state_version == bindparam(f"version_{index}"),
        table.c.fingerprint.in_(bindparam(f"prints_{index}", expanding=True)),
        table.c.bucket_start >= bindparam(f"low_{index}"),
        table.c.bucket_start < bindparam(f"high_{index}"),
    )


def _bucket(row: Any) -> WindowBucket:
    return WindowBucket(
        row.bucket_start,
        WindowEntry(row.latest_at, row.latest_source, row.latest_event_id),
        row.entries,
        row.numbers,
        row.total,
        row.low,
        row.high,
    )


def _bucket_row(group: GroupKey, bucket: WindowBucket) -> dict[str, Any]:
    rule_id, version, print_ = group
    return {
        "rule_id": rule_id,
        "state_version": version,
        "fingerprint": print_,
        "bucket_start": bucket.start,
        "entries": bucket.count,
        "numbers": bucket.numbers,
        "total": bucket.total,
        "low": bucket.low,
        "high": bucket.high,
        "latest_at": bucket.latest.occurred_at,
        "latest_source": bucket.latest.source,
        "latest_event_id": bucket.latest.event_id,
    }


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
