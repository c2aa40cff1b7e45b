"""The write path's gate (``new_rows.insert_new``) on SQLite and MySQL: it inserts the rows whose
key is not stored and says exactly which they were, even against a concurrent writer of the same
key, and it hides no other refusal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from chalicelib.adapters.db import new_rows
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.event_rows import EVENTS, RULE_MATCHES
from chalicelib.adapters.db.new_rows import insert_all, insert_new
from chalicelib.adapters.db.tables import events, rule_matches

AT = datetime(2026, 12, 7, 9, 30, 0, 123456, tzinfo=UTC)
AWKWARD = 'it\'s 100% \\ "quoted" ünïcødé 🚀 \x01 %s %(name)s'


def row(event_id: str, **data: Any) -> tuple[Any, ...]:
    return ("shop", event_id, "order", AT, AT, AT, data or {"n": event_id}, None, None)


def stored(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            found.event_id: found.data
            for found in conn.execute(select(events.c.event_id, events.c.data))
        }


def test_only_the_rows_whose_key_is_not_stored_go_in_and_are_named(engine: Engine) -> None:
    # GIVEN two stored events
    with engine.begin() as conn:
        assert insert_new(conn, EVENTS, [row("a"), row("b")]) == [0, 1]
    # WHEN a batch holds both again, among new ones
    with engine.begin() as conn:
        added = insert_new(conn, EVENTS, [row("c"), row("a"), row("d"), row("b", n="changed")])
    # THEN the new ones are named and stored, and the stored ones are left as they were
    assert added == [0, 2]
    assert stored(engine) == {"a": {"n": "a"}, "b": {"n": "b"}, "c": {"n": "c"}, "d": {"n": "d"}}


def test_a_batch_of_stored_rows_adds_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_new(conn, EVENTS, [row("a"), row("b")])
    with engine.begin() as conn:
        assert insert_new(conn, EVENTS, [row("b"), row("a")]) == []
    assert sorted(stored(engine)) == ["a", "b"]


def test_values_that_need_escaping_come_back_as_written(engine: Engine) -> None:
    # GIVEN text with quotes, backslashes, percent signs, control and non-BMP characters
    with engine.begin() as conn:
        insert_new(conn, EVENTS, [row(f"x-{AWKWARD}", text=AWKWARD, number=1.5, none=None)])
    # THEN the JSON, the key and the time read back unchanged
    with engine.connect() as conn:
        found = conn.execute(select(events.c.event_id, events.c.data, events.c.occurred_at)).one()
    assert found.event_id == f"x-{AWKWARD}"
    assert found.data == {"text": AWKWARD, "number": 1.5, "none": None}
    assert found.occurred_at == AT


def test_groups_equal_in_python_but_not_in_json_are_each_stored_as_they_are(
    engine: Engine,
) -> None:
    # GIVEN matches of one batch whose groups Python finds equal: True == 1 == 1.0
    groups = [(("paid", True),), (("paid", 1),), (("paid", 1.0),), (("paid", [1, 2]),)]
    rows = [
        ("rule", "v1", "match", f"event:shop:{n}", "f" * 32, group, "shop", str(n), AT, None, AT)
        for n, group in enumerate(groups)
    ]
    # WHEN they are stored in one statement
    with engine.begin() as conn:
        assert insert_new(conn, RULE_MATCHES, rows) == [0, 1, 2, 3]
    # THEN each group reads back with its own JSON types
    with engine.connect() as conn:
        stored_groups = {
            found.event_id: found.group_values[0][1]
            for found in conn.execute(select(rule_matches.c.event_id, rule_matches.c.group_values))
        }
    assert [(type(stored_groups[str(n)]), stored_groups[str(n)]) for n in range(4)] == [
        (bool, True),
        (int, 1),
        (float, 1.0),
        (list, [1, 2]),
    ]


TRICKY = [
    "".join(chr(code) for code in range(128)),  # every ASCII character, NUL to DEL
    "\\",
    "\\'",
    "''",
    "'",
    "ends in a backslash \\",
    "\x00'\\\"",
    "é\\'🚀\\\\",
]


def test_every_character_comes_back_as_written_in_either_escaping_mode(engine: Engine) -> None:
    # GIVEN each escaping mode a MySQL session can be in (SQLite binds its values)
    modes = [""] if engine.dialect.name == "sqlite" else ["", ",NO_BACKSLASH_ESCAPES"]
    for mode in modes:
        # WHEN keys and JSON text holding every ASCII character, quotes and backslashes go in
        with engine.begin() as conn:
            if mode:
                conn.exec_driver_sql(f"SET SESSION sql_mode = CONCAT(@@sql_mode, '{mode}')")
            try:
                rows = [row(f"{mode}{n}:{text}"[:128], text=text) for n, text in enumerate(TRICKY)]
                assert insert_new(conn, EVENTS, rows) == list(range(len(TRICKY)))
            finally:
                if mode:  # the connection goes back to the pool: leave it as it came
                    conn.exec_driver_sql("SET SESSION sql_mode = @@GLOBAL.sql_mode")
        # THEN each reads back exactly as written, its key included
        found = stored(engine)
        for n, text in enumerate(TRICKY):
            assert found[f"{mode}{n}:{text}"[:128]] == {"text": text}


def test_a_batch_larger_than_one_statement_meets_stored_keys_in_several(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN statements of three rows, and every third key stored
    monkeypatch.setattr(new_rows, "ROWS_PER_STATEMENT", 3)
    with engine.begin() as conn:
        insert_new(conn, EVENTS, [row(f"e-{n}") for n in range(0, 10, 3)])
    # WHEN ten rows go in
    with engine.begin() as conn:
        added = insert_new(conn, EVENTS, [row(f"e-{n}") for n in range(10)])
    # THEN exactly the other six are new
    assert added == [1, 2, 4, 5, 7, 8]
    assert len(stored(engine)) == 10


def test_a_refusal_other_than_a_stored_key_is_not_hidden(engine: Engine) -> None:
    # GIVEN a source name longer than its column (VARCHAR(64))
    too_long = ("s" * 65, "e-1", "order", AT, AT, AT, {}, None, None)
    # WHEN it is inserted THEN the database's refusal surfaces (MySQL's strict mode, SQLite's
    # NOT NULL on a missing type stands in where lengths are not enforced)
    refused = (
        too_long
        if engine.dialect.name != "sqlite"
        else ("shop", "e-1", None, AT, AT, AT, {}, None, None)
    )
    with (
        pytest.raises(Exception, match=r"(?i)too long|not null|cannot be null"),
        engine.begin() as conn,
    ):
        insert_new(conn, EVENTS, [refused])
    assert stored(engine) == {}


@pytest.fixture
def mysql_engine(mysql_database_url: str) -> Iterator[Engine]:
    """The session's MySQL database, emptied of events: the race needs two real writers."""
    engine = make_engine(mysql_database_url)
    with engine.begin() as conn:
        conn.execute(delete(events))
    yield engine
    engine.dispose()


@pytest.mark.mysql
@pytest.mark.parametrize("first_writer_commits", [True, False])
def test_a_key_another_transaction_is_writing_is_new_for_exactly_one_of_them(
    mysql_engine: Engine, first_writer_commits: bool
) -> None:
    engine = mysql_engine
    # GIVEN a transaction that inserted "k" and has not finished
    first = engine.connect()
    first.begin()
    assert insert_new(first, EVENTS, [row("k")]) == [0]
    answers: list[list[int]] = []

    def second_writer() -> None:
        with engine.begin() as conn:
            answers.append(insert_new(conn, EVENTS, [row("j"), row("k")]))

    # WHEN a second transaction inserts "j" and "k" (it waits on "k"'s lock)
    racer = threading.Thread(target=second_writer)
    racer.start()
    racer.join(timeout=1.0)
    assert racer.is_alive(), "the second writer should wait for the first one's key"
    # AND the first one commits (or rolls back)
    if first_writer_commits:
        first.commit()
    else:
        first.rollback()
    first.close()
    racer.join(timeout=30)
    # THEN "k" is new for exactly one of them
    assert answers == [[0]] if first_writer_commits else answers == [[0, 1]]
    assert sorted(stored(engine)) == ["j", "k"]


def test_insert_all_writes_every_row_and_refuses_a_stored_key(engine: Engine) -> None:
    # GIVEN rows that must all be new (the raw rows of events just found new)
    with engine.begin() as conn:
        insert_all(conn, EVENTS, [row("a"), row("b")])
    assert sorted(stored(engine)) == ["a", "b"]
    # WHEN one of them is written again THEN that is an error, not a silent skip
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_all(conn, EVENTS, [row("c"), row("a")])
    assert sorted(stored(engine)) == ["a", "b"]
