"""The keyed writes of small tables (``upsert.insert_missing``, ``upsert.insert_or_advance``) on
SQLite and MySQL: a stored key is left alone or moved forward, never duplicated, whatever its
text holds; a table whose rows cannot be written as literals still gets its keyed insert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from chalicelib.adapters.db.tables import rule_failures, rule_groups, upload_chunks, uploads
from chalicelib.adapters.db.upsert import insert_missing, insert_or_advance

AT = datetime(2026, 12, 7, 9, 30, 0, 123456, tzinfo=UTC)
AWKWARD = 'it\'s 100% \\ "quoted" ünïcødé 🚀 \x01 %s'
GROUP_KEY = ("rule_id", "state_version", "fingerprint")


def group(print_: str, seen: datetime | None, values: Any = "acme") -> dict[str, Any]:
    return {
        "rule_id": "volume",
        "state_version": "v1",
        "fingerprint": print_,
        "group_values": [["merchant", values]],
        "since": AT,
        "last_seen_at": seen,
    }


def test_a_group_moves_forward_only_and_new_groups_go_in_as_written(engine: Engine) -> None:
    # GIVEN a group last seen at AT
    with engine.begin() as conn:
        insert_or_advance(conn, rule_groups, [group("a", AT)], GROUP_KEY, "last_seen_at")
    # WHEN one batch brings it an earlier sighting and another a later one, beside a new group
    # whose values need escaping
    with engine.begin() as conn:
        earlier = [group("a", AT - timedelta(hours=1)), group("b", AT, AWKWARD)]
        insert_or_advance(conn, rule_groups, earlier, GROUP_KEY, "last_seen_at")
    with engine.begin() as conn:
        later = [group("a", AT + timedelta(minutes=5))]
        insert_or_advance(conn, rule_groups, later, GROUP_KEY, "last_seen_at")
    # THEN the stored group moved to the later time only, and the new one reads back exactly
    with engine.connect() as conn:
        rows = {row.fingerprint: row for row in conn.execute(select(rule_groups))}
    assert rows["a"].last_seen_at == AT + timedelta(minutes=5)
    assert rows["a"].since == AT
    assert rows["b"].group_values == [["merchant", AWKWARD]]
    assert rows["b"].last_seen_at == AT


def test_a_stored_key_is_left_as_it_was(engine: Engine) -> None:
    # GIVEN a recorded failure
    failure = {
        "rule_id": "r",
        "rule_version": "v1",
        "source": "shop",
        "event_id": "e-1",
        "reason": "first",
        "failed_at": AT,
    }
    key = ("rule_id", "source", "event_id")
    with engine.begin() as conn:
        insert_missing(conn, rule_failures, [failure], key)
    # WHEN the same key comes again with another reason, beside a new one
    with engine.begin() as conn:
        again = [failure | {"reason": "second"}, failure | {"event_id": AWKWARD, "reason": "x"}]
        insert_missing(conn, rule_failures, again, key)
    # THEN the first reason stays, and the new key is stored once, as written
    with engine.connect() as conn:
        stored = dict(conn.execute(select(rule_failures.c.event_id, rule_failures.c.reason)).all())
    assert stored == {"e-1": "first", AWKWARD: "x"}


def test_a_row_with_bytes_still_goes_in_once(engine: Engine) -> None:
    # GIVEN an upload and one of its chunks, whose raw bytes have no literal form here
    with engine.begin() as conn:
        insert_missing(conn, uploads, [upload_row()], ("id",))
        insert_missing(conn, upload_chunks, [chunk_row(b"a,b\n\x00\xff'")], ("upload_id", "chunk"))
    # WHEN the chunk is recorded again
    with engine.begin() as conn:
        insert_missing(conn, upload_chunks, [chunk_row(b"other")], ("upload_id", "chunk"))
    # THEN it is stored once, with the bytes it first had; the upload's absent problems are null
    with engine.connect() as conn:
        assert conn.execute(select(uploads.c.problems)).scalar_one() is None
        assert conn.execute(select(func.count()).select_from(upload_chunks)).scalar_one() == 1
        assert conn.execute(select(upload_chunks.c.raw)).scalar_one() == b"a,b\n\x00\xff'"


def upload_row() -> dict[str, Any]:
    return {
        "id": "u-1",
        "source": "shop",
        "filename": "orders.csv",
        "object_key": "incoming/shop/orders.csv",
        "origin": "direct",
        "status": "importing",
        "problems": None,
        "created_at": AT,
    }


def chunk_row(raw: bytes) -> dict[str, Any]:
    counts = ("first_line", "last_line", "rows_seen", "rows_stored", "rows_duplicate")
    return {"upload_id": "u-1", "chunk": 0, **dict.fromkeys(counts, 2), "rows_rejected": 0} | {
        "raw": raw,
        "processed_at": AT,
    }
