"""The one place that knows each dialect's "insert unless the key exists".

Every write in Tripline is keyed so a replay changes nothing; this is how the key is honoured.
MySQL's ``INSERT IGNORE`` is not used: it also downgrades real errors (a value too long, a bad
date) to warnings. ``ON DUPLICATE KEY UPDATE <key> = <key>`` touches nothing and hides nothing.
The rows go through ``new_rows.upsert`` (literals on MySQL, ``executemany`` on SQLite): these
are the few rows of a batch's groups, fingerprints and tokens, where building and binding a
SQLAlchemy statement cost more than running it. A table with a column that has no literal form
(a chunk's raw bytes) takes SQLAlchemy's ``insert``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import mysql, sqlite

from chalicelib.adapters.db.new_rows import RowShape, Spelling, table_shape, upsert


def insert_missing(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    """Insert ``rows``; a row whose ``key`` columns already exist is left as it was."""
    if not rows:
        return
    shape = _shape(table, rows, key)
    if shape is not None:
        upsert(conn, shape, _values(shape, rows), None)
    elif conn.dialect.name == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key)), rows)
    elif conn.dialect.name in ("mysql", "mariadb"):
        statement = mysql.insert(table)
        conn.execute(statement.on_duplicate_key_update({key[0]: table.c[key[0]]}), rows)
    else:
        raise NotImplementedError(f"no keyed insert for the {conn.dialect.name} dialect")


def insert_or_advance(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str], column: str
) -> None:
    """Insert ``rows``; where the key exists, move ``column`` forward to the row's value if it is
    later (a NULL is behind everything). One statement, and on MySQL it locks each row it meets,
    in the order given: callers sort ``rows`` by key so two writers never wait on each other in a
    circle."""
    if not rows:
        return
    shape = table_shape(table, tuple(rows[0]), tuple(key))

    def later(sql: Spelling) -> str:
        new = sql.new(column)
        return f"{column} = {sql.greatest}(COALESCE({column}, {new}), {new})"

    upsert(conn, shape, _values(shape, rows), later)


def _shape(table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> RowShape | None:
    """The rows' shape; None when a column has no literal form."""
    try:
        return table_shape(table, tuple(rows[0]), tuple(key))
    except NotImplementedError:
        return None


def _values(shape: RowShape, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    names = [name for name, _ in shape.columns]
    return [tuple(row[name] for name in names) for row in rows]
