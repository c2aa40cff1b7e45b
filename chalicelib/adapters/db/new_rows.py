"""Insert the rows whose key is not stored yet, and say which they were: the write path's gate.

Every write in Tripline is keyed so a replay changes nothing, and some writes must also know
exactly which rows were new: only an event stored for the first time may change a rule's window,
and only a match recorded for the first time may change an alert. Reading the keys first and
inserting "unless it exists" after leaves a gap: two transactions storing the same new event at
once both see it missing, and both would count it.

So the rows go in as a plain ``INSERT``, which the unique key lets only one transaction win:

- MySQL: optimistic. A batch of new rows, the common case, is one statement per slice and no
  read at all. A slice that meets a stored key fails as a whole (InnoDB undoes the statement, not
  the transaction); its stored keys are then read and the rest inserted again. A key another
  transaction is inserting at that moment waits for it: committed, it is a stored key; rolled
  back, the row is ours.
- SQLite: the keys are read first, then the rest inserted by ``executemany`` (one writer at a
  time; a concurrent writer makes the insert fail, and the batch is retried whole).

Values are written as literals on MySQL (SQLAlchemy's bind processing and PyMySQL's per-value
escaping were three quarters of a 20,000-row chunk's write time): each column has a
:class:`Kind`, and each row shape gets one generated formatter (``_literal_code``) that formats
a row in one call, strings escaped for the server's current ``NO_BACKSLASH_ESCAPES`` mode.
``ROWS_PER_STATEMENT`` and ``BYTES_PER_STATEMENT`` keep every statement well under
``max_allowed_packet`` (16 MiB by default on MariaDB, 64 MiB on MySQL 8).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Float,
    Integer,
    String,
    Table,
    exc,
    select,
    tuple_,
)

from chalicelib.adapters.db.types import UtcDateTime
from chalicelib.domain.errors import DependencyError

ROWS_PER_STATEMENT = 2000
BYTES_PER_STATEMENT = 4 * 1024 * 1024
ATTEMPTS = 3  # a slice re-read and re-inserted this often loses to writers adding its keys
DUPLICATE_KEY = 1062  # ER_DUP_ENTRY


class Kind(Enum):
    """How a column's Python value becomes a literal (MySQL) or a bound value (SQLite)."""

    TEXT = "text"
    LABEL = "label"  # text that repeats across a batch (a source, a rule id): escaped once
    INTEGER = "integer"
    NUMBER = "number"
    STAMP = "stamp"
    JSON = "json"
    JSON_LABEL = "json label"  # a JSON value that repeats (a group's values): encoded once


@dataclass(frozen=True)
class RowShape:
    """A table's columns in insert order, their kinds, and which of them make the unique key."""

    table: Table
    columns: tuple[tuple[str, Kind], ...]
    key: tuple[str, ...]

    @property
    def key_positions(self) -> tuple[int, ...]:
        names = [name for name, _ in self.columns]
        return tuple(names.index(name) for name in self.key)


def insert_new(conn: Connection, shape: RowShape, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Insert the ``rows`` whose key is not stored yet; the positions of those inserted.

    ``rows`` hold Python values in ``shape.columns`` order, each key at most once. Dates are
    aware datetimes, JSON values are anything ``json.dumps`` takes.
    """
    if not rows:
        return []
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return _sqlite(conn, shape, rows)
    if dialect in ("mysql", "mariadb"):
        return _mysql(conn, shape, rows)
    raise NotImplementedError(f"no keyed bulk insert for the {dialect} dialect")


def insert_all(conn: Connection, shape: RowShape, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows``, every one of them: for rows that cannot be stored yet (the raw rows of
    events this transaction has just found new). A stored key is an error, as it should be."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _sqlite_insert(conn, shape, rows)
    elif dialect in ("mysql", "mariadb"):
        for part in _literal_slices(conn, shape, rows):
            _send(conn, _mysql_head(shape), part)
    else:
        raise NotImplementedError(f"no bulk insert for the {dialect} dialect")


def write_over(conn: Connection, shape: RowShape, rows: Sequence[tuple[Any, ...]]) -> None:
    """Write ``rows`` over the stored rows of the same key in one upsert of every other column,
    instead of an ``UPDATE`` a row. For rows the caller has locked and read in this
    transaction: a row whose key is not stored would be inserted. Keys given explicitly
    allocate no ``AUTO_INCREMENT`` values."""
    others = [name for name, _ in shape.columns if name not in shape.key]
    upsert(conn, shape, rows, lambda sql: ", ".join(f"{name} = {sql.new(name)}" for name in others))


@dataclass(frozen=True)
class Spelling:
    """How a dialect spells what an upsert's changes need: the new row's value of a column, the
    least and the greatest of several values."""

    new: Callable[[str], str]
    least: str
    greatest: str


MYSQL_SPELLING = Spelling(lambda name: f"VALUES({name})", "LEAST", "GREATEST")
SQLITE_SPELLING = Spelling(lambda name: f"excluded.{name}", "MIN", "MAX")


def upsert(
    conn: Connection,
    shape: RowShape,
    rows: Sequence[tuple[Any, ...]],
    changes: Callable[[Spelling], str] | None,
) -> None:
    """Insert ``rows``; where a row's key is stored, apply ``changes`` to the stored row instead
    (the text of its assignments, our own column names and SQL, in the dialect's spelling; a
    bare name is the stored value), or leave it as it was when there are none.

    MySQL: one literal statement per slice (``ON DUPLICATE KEY UPDATE``; ``<key> = <key>`` when
    nothing changes: ``INSERT IGNORE`` would also hide real errors). SQLite: one ``executemany``
    (``ON CONFLICT (<key>) DO UPDATE`` or ``DO NOTHING``). Either way SQLAlchemy's statement
    building and bind processing, which cost more than running the statement for the few rows a
    batch upserts, are skipped. Rows are written in the order given, so callers that lock rows
    this way sort them by key."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        names = [name for name, _ in shape.columns]
        target = ", ".join(shape.key)
        action = "NOTHING" if changes is None else "UPDATE SET " + changes(SQLITE_SPELLING)
        statement = (
            f"INSERT INTO {shape.table.name} ({', '.join(names)}) "  # noqa: S608 (constants)
            f"VALUES ({', '.join('?' for _ in names)}) ON CONFLICT ({target}) DO {action}"
        )
        conn.exec_driver_sql(statement, list(map(_bound_values(shape), rows)))
    elif dialect in ("mysql", "mariadb"):
        kept = f"{shape.key[0]} = {shape.key[0]}"
        tail = " ON DUPLICATE KEY UPDATE " + (kept if changes is None else changes(MYSQL_SPELLING))
        for part in _literal_slices(conn, shape, rows):
            _send(conn, _mysql_head(shape), part, tail)
    else:
        raise NotImplementedError(f"no keyed upsert for the {dialect} dialect")


@lru_cache(maxsize=64)
def table_shape(table: Table, names: tuple[str, ...], key: tuple[str, ...]) -> RowShape:
    """The row shape of ``names`` of ``table``, each column's kind read off its type: for
    tables whose rows need no kinds chosen by hand (strings are remembered as labels: a batch
    repeats its rule ids and times; ``None`` is SQL ``NULL``, a JSON column's too). Raises
    ``NotImplementedError`` for a column with no literal kind (bytes: a chunk's raw file)."""
    return RowShape(table, tuple((name, _kind_of(table, name)) for name in names), key)


def _kind_of(table: Table, name: str) -> Kind:
    column_type = table.c[name].type
    if isinstance(column_type, UtcDateTime):
        return Kind.STAMP
    if isinstance(column_type, JSON):
        return Kind.JSON
    if isinstance(column_type, Boolean | Integer):
        return Kind.INTEGER
    if isinstance(column_type, Float):
        return Kind.NUMBER
    if isinstance(column_type, String):
        return Kind.LABEL
    raise NotImplementedError(f"no literal for {table.name}.{name} ({column_type!r})")


def stored_keys(
    conn: Connection, shape: RowShape, keys: Sequence[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Which ``keys`` are stored. For a two-column key, two plain IN lists (index seeks on both
    databases; a row-value IN read SQLite's whole index) and the few cross pairs they also match
    are dropped here."""
    if not keys:
        return set()
    table = shape.table
    columns = [table.c[name] for name in shape.key]
    wanted = set(keys)
    found: set[tuple[Any, ...]] = set()
    for start in range(0, len(keys), 5000):
        part = keys[start : start + 5000]
        if len(columns) == 1:
            query = select(*columns).where(columns[0].in_({key[0] for key in part}))
        elif len(columns) == 2:
            query = select(*columns).where(
                columns[0].in_({key[0] for key in part}), columns[1].in_({key[1] for key in part})
            )
        else:
            query = select(*columns).where(tuple_(*columns).in_(part))
        found.update(tuple(row) for row in conn.execute(query))
    return found & wanted


def _key_of(shape: RowShape) -> Callable[[tuple[Any, ...]], tuple[Hashable, ...]]:
    positions = shape.key_positions
    return lambda row: tuple(row[index] for index in positions)


def _sqlite(conn: Connection, shape: RowShape, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    key_of = _key_of(shape)
    known = stored_keys(conn, shape, [key_of(row) for row in rows])
    fresh = [index for index, row in enumerate(rows) if key_of(row) not in known]
    _sqlite_insert(conn, shape, [rows[index] for index in fresh])
    return fresh


def _sqlite_insert(conn: Connection, shape: RowShape, rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    names = [name for name, _ in shape.columns]
    statement = (
        f"INSERT INTO {shape.table.name} ({', '.join(names)}) "  # noqa: S608 (constant names)
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    conn.exec_driver_sql(statement, list(map(_bound_values(shape), rows)))


def _bound_values(shape: RowShape) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A converter of one row's values to what SQLite stores, one function per column."""
    stamps: dict[datetime, str] = {}

    def stamp(value: datetime | None) -> str | None:
        if value is None:
            return None
        found = stamps.get(value)
        if found is None:
            found = stamps[value] = stamp_text(value)
        return found

    def json_text(value: Any) -> str | None:
        return None if value is None else _json(value)

    converters = {Kind.STAMP: stamp, Kind.JSON: json_text, Kind.JSON_LABEL: json_text}
    positions = [
        (index, converters[kind])
        for index, (_, kind) in enumerate(shape.columns)
        if kind in converters
    ]

    def bound(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for index, convert in positions:
            values[index] = convert(values[index])
        return tuple(values)

    return bound


def _mysql_head(shape: RowShape) -> str:
    return (
        f"INSERT INTO {shape.table.name} "  # noqa: S608 (constant names; values escaped)
        f"({', '.join(name for name, _ in shape.columns)}) VALUES "
    )


def _send(conn: Connection, head: str, rows: Sequence[tuple[int, str]], tail: str = "") -> None:
    """One multi-row statement of literal rows, sent without parameters (a ``%`` in the data
    stays data)."""
    conn.exec_driver_sql(
        head + ",".join(f"({text})" for _, text in rows) + tail,
        execution_options={"no_parameters": True},
    )


def _mysql(conn: Connection, shape: RowShape, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    head = _mysql_head(shape)
    key_of = _key_of(shape)
    inserted: list[int] = []
    for part in _literal_slices(conn, shape, rows):
        left = part
        for _ in range(ATTEMPTS):
            try:
                _send(conn, head, left)
            except exc.IntegrityError as error:
                if not _duplicate_key(error.orig):
                    raise
                known = stored_keys(conn, shape, [key_of(rows[index]) for index, _ in left])
                left = [(index, text) for index, text in left if key_of(rows[index]) not in known]
                if not left:
                    break
                continue
            inserted.extend(index for index, _ in left)
            break
        else:
            raise DependencyError(  # so rare that the batch is simply retried later
                f"other writers kept storing the keys of these {shape.table.name} rows"
            )
    return inserted


def _duplicate_key(error: BaseException | None) -> bool:
    """The server refused a row because its unique key is stored (not any other refusal)."""
    args: tuple[Any, ...] = getattr(error, "args", ())
    return bool(args) and args[0] == DUPLICATE_KEY


def _slices(texts: Sequence[str]) -> list[list[tuple[int, str]]]:
    """Consecutive rows, at most ``ROWS_PER_STATEMENT`` and about ``BYTES_PER_STATEMENT`` each.

    A chunk's rows usually fit the byte limit many times over: then only the row limit cuts,
    without a look at each row."""
    if sum(map(len, texts)) + 3 * len(texts) <= BYTES_PER_STATEMENT:
        return [
            list(enumerate(texts[start : start + ROWS_PER_STATEMENT], start))
            for start in range(0, len(texts), ROWS_PER_STATEMENT)
        ]
    parts: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    size = 0
    for index, text in enumerate(texts):
        if current and (
            len(current) >= ROWS_PER_STATEMENT or size + len(text) > BYTES_PER_STATEMENT
        ):
            parts.append(current)
            current, size = [], 0
        current.append((index, text))
        size += len(text) + 3
    if current:
        parts.append(current)
    return parts


def _literal_slices(
    conn: Connection, shape: RowShape, rows: Sequence[tuple[Any, ...]]
) -> list[list[tuple[int, str]]]:
    """``rows`` as MySQL literals for this connection's escaping mode, in the slices a statement
    takes (``_slices``), each row with its position. The formatter remembers the labels, times
    and group values it has formatted, so one batch's repeats are formatted once and nothing is
    kept past the batch."""
    from pymysql.constants import SERVER_STATUS

    driver: Any = conn.connection.dbapi_connection
    quotes_only = bool(driver.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES)
    row_literal = _literal_code(tuple(kind for _, kind in shape.columns), quotes_only)()
    return _slices([row_literal(row) for row in rows])


# What a single-quoted MySQL literal needs escaped: the backslash and the quote (MySQL's manual:
# "strictly speaking, MySQL requires only that backslash and the quote character used to quote
# the string in the query be escaped"), and NUL, which we escape as the C client does. PyMySQL's
# ``escape_string`` also escapes ``"``, newlines and Ctrl-Z through a per-character table, for
# every string; JSON text is full of ``"``, and two ``replace`` calls of the rare string that
# needs any escaping cost a fraction of that.
_NEEDS_ESCAPE = re.compile("[\\x00'\\\\]").search


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'").replace("\x00", "\\0")


@lru_cache(maxsize=32)
def _literal_code(
    kinds: tuple[Kind, ...], quotes_only: bool
) -> Callable[[], Callable[[tuple[Any, ...]], str]]:
    """The row formatter of a row shape, written out once as one function: each value formatted
    in place by its kind, instead of a call per value through a table of formatters (a third of
    a chunk's write time went there). Returns a factory: each call gives a formatter with
    memories of its own.

    The text holds only our own names and column positions; the helpers are constants of its
    namespace. Strings have their backslashes, quotes and NULs escaped (``_escape``), or only
    their quotes doubled under ``NO_BACKSLASH_ESCAPES``."""

    def quoted(name: str) -> str:
        if quotes_only:
            return f'"\'" + {name}.replace("\'", "\'\'") + "\'"'
        return f'"\'" + (_escape({name}) if _needs({name}) else {name}) + "\'"'

    names = [f"_v{index}" for index in range(len(kinds))]
    body = []
    for index, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        part = f"_p{index}"
        if kind is Kind.TEXT:
            body.append(f"{part} = 'NULL' if {name} is None else {quoted(name)}")
        elif kind in (Kind.LABEL, Kind.STAMP):
            body.append(f"{part} = _repeated.get({name}) or _{kind.name.lower()}({name})")
        elif kind is Kind.JSON_LABEL:
            # remembered by repr, not by the value: True == 1 == 1.0 in Python, not in JSON
            # (and a list among the values has a repr, not a hash)
            body += [
                f"_r = _repr({name})",
                f"{part} = _groups.get(_r) or _json_label(_r, {name})",
            ]
        elif kind is Kind.JSON:
            body += [
                f"if {name} is None:",
                f"    {part} = 'NULL'",
                "else:",
                f"    _j = _encode({name})",
                f"    {part} = {quoted('_j')}",
            ]
        elif kind is Kind.INTEGER:
            body.append(f"{part} = 'NULL' if {name} is None else _str(_int({name}))")
        else:  # Kind.NUMBER
            body.append(f"{part} = 'NULL' if {name} is None else _repr(_float({name}))")
    joined = " + ',' + ".join(f"_p{index}" for index in range(len(kinds)))
    source = "\n".join(
        [
            "def _factory():",
            "    _repeated = {}",
            "    _groups = {}",
            "    def _label(value):",
            f"        found = _repeated[value] = 'NULL' if value is None else {quoted('value')}",
            "        return found",
            "    def _stamp(value):",
            "        found = _repeated[value] = 'NULL' if value is None else \"'\" + _at(value) + \"'\"",
            "        return found",
            "    def _json_label(key, value):",
            "        _j = _encode(value)",
            f"        found = _groups[key] = 'NULL' if value is None else {quoted('_j')}",
            "        return found",
            "    def _row(_row_values):",
            f"        ({', '.join(names)},) = _row_values",
            *(f"        {line}" for line in body),
            f"        return {joined}",
            "    return _row",
        ]
    )
    namespace: dict[str, Any] = {
        "__builtins__": {},
        "_needs": _NEEDS_ESCAPE,
        "_escape": _escape,
        "_encode": _json,
        "_at": stamp_text,
        "_str": str,
        "_int": int,
        "_repr": repr,
        "_float": float,
    }
    exec(compile(source, "<row literals>", "exec", dont_inherit=True), namespace)  # noqa: S102
    factory: Callable[[], Callable[[tuple[Any, ...]], str]] = namespace["_factory"]
    return factory


def stamp_text(moment: datetime) -> str:
    """The stored form of ``UtcDateTime``: naive UTC with microseconds (``isoformat`` is several
    times faster than ``strftime``, and ``timespec`` keeps zero microseconds written)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:26]  # without its "+00:00"


# One encoder for every value: ``json.dumps`` with any non-default option builds a new one per call.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
