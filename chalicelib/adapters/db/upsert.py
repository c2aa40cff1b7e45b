"""The one place that knows each dialect's "insert unless the key exists".

Every write in Tripline is keyed so a replay changes nothing; this is how the key is honoured.
MySQL's ``INSERT IGNORE`` is not used: it also downgrades real errors (a value too long, a bad
date) to warnings. ``ON DUPLICATE KEY UPDATE <key> = <key>`` touches nothing and hides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, func
from sqlalchemy.dialects import mysql, sqlite


def insert_missing(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    """Insert ``rows``; a row whose ``key`` columns already exist is left as it was."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key)), rows)
    elif dialect in ("mysql", "mariadb"):
        statement = mysql.insert(table)
        conn.execute(statement.on_duplicate_key_update({key[0]: table.c[key[0]]}), rows)
    else:
        raise NotImplementedError(f"no keyed insert for the {dialect} dialect")


def insert_or_advance(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str], column: str
) -> None:
    """Insert ``rows``; where the key exists, move ``column`` forward to the row's value if it is
    later (a NULL is behind everything). One statement, and on MySQL it locks each row it meets,
    in the order given: callers sort ``rows`` by key so two writers never wait on each other in a
    circle."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        new = lite.excluded[column]
        latest = func.max(func.coalesce(table.c[column], new), new)
        conn.execute(
            lite.on_conflict_do_update(index_elements=list(key), set_={column: latest}), rows
        )
    elif dialect in ("mysql", "mariadb"):
        my = mysql.insert(table)
        new = my.inserted[column]
        greatest = func.greatest(func.coalesce(table.c[column], new), new)
        conn.execute(my.on_duplicate_key_update({column: greatest}), rows)
    else:
        raise NotImplementedError(f"no keyed upsert for the {dialect} dialect")
