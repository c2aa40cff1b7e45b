"""Round trips to MySQL per batch: every command the driver sends (statements, ``COMMIT``,
``ROLLBACK``, pings), counted while a contender handles batches.

Counted at the driver (PyMySQL's one entry point for commands), not through SQLAlchemy's events,
so that what SQLAlchemy sends on its own (a pool's ping, its reset ``ROLLBACK``) and what goes
past it (a raw DB-API cursor, as the reference uses) are counted alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def counted_round_trips() -> Iterator[list[str]]:
    """The first word of every command sent inside the block, in order."""
    import pymysql.connections

    sent: list[str] = []
    real = pymysql.connections.Connection._execute_command

    def counting(self: Any, command: int, sql: Any) -> Any:
        shown = sql.decode(errors="replace") if isinstance(sql, bytes) else str(sql)
        sent.append(shown.split(" ", 1)[0].upper() if shown else f"COMMAND-{command}")
        return real(self, command, sql)

    pymysql.connections.Connection._execute_command = counting  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        pymysql.connections.Connection._execute_command = real  # type: ignore[method-assign]
