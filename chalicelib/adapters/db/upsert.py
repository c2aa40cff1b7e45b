"""The one place that knows each dialect's "insert unless the key exists".

Every write in Tripline is keyed so a replay changes nothing; this is how the key is honoured.
MySQL's ``INSERT IGNORE`` is not used: it also downgrades real errors (a value too long, a bad
date) to warnings. ``ON DUPLICATE KEY UPDATE <key> = <key>`` touches nothing and hides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
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
