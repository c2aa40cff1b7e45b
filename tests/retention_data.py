"""A rules folder with retention declared, and rows of known ages written straight into the
tables, for the purge's tests: what each table holds past and within each source's retention."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from chalicelib.adapters.db.tables import (
    alerts,
    events,
    raw_events,
    rejected_items,
    rule_matches,
    rule_window_buckets,
    rule_window_tokens,
    upload_chunks,
    uploads,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AGES = (5, 25, 45, 75)  # days before NOW
KEPT = {"short": 20, "long": 60, "other": 30}  # other: declares none, TRIPLINE_RETENTION_DAYS
DEFAULT_DAYS = "30"
SOURCE = """\
type: {name}.seen
id: ref
retention_days: {days}
columns:
  - name: ref
    type: string
  - name: n
    type: integer
"""
RULE = """\
id: short-burst
description: many short events within an hour
source: short
severity: low
group_by: []
message: "{observed} short events within an hour"
kind: threshold
aggregate: count
value: 100
within: 1h
"""


def rules_folder(root: Path) -> Path:
    """``short`` kept 20 days, ``long`` 60; a threshold rule over ``short`` keeps window state."""
    folder = root / "rules"
    (folder / "sources").mkdir(parents=True)
    for name in ("short", "long"):
        text = SOURCE.format(name=name, days=KEPT[name])
        (folder / "sources" / f"{name}.yaml").write_text(text)
    (folder / "short-burst.yaml").write_text(RULE)
    return folder


def expected_left(table_ages: tuple[int, ...] = AGES) -> Counter[str]:
    """Rows per source each table keeps after a purge at NOW."""
    return Counter(
        {source: sum(1 for age in table_ages if age < days) for source, days in KEPT.items()}
    )


def seed(engine: Engine) -> None:
    """For each source and age: an event with its raw item, a rejected row and a rule match;
    rejected rows without a source; window buckets and tokens of the rule; one alert."""
    event_rows, raw_rows, rejects, matches = [], [], [], []
    for source in KEPT:
        for age in AGES:
            when = NOW - timedelta(days=age, minutes=1)
            event_id = f"{source}-{age}"
            event_rows.append(_event(source, event_id, when))
            raw_rows.append(
                {
                    "source": source,
                    "event_id": event_id,
                    "message_id": f"m-{event_id}",
                    "received_at": when,
                    "payload": "{}",
                }
            )
            rejects.append(_reject(f"k-{event_id}", source, when))
            matches.append(_match(source, event_id, when))
    rejects += [_reject(f"k-none-{age}", None, NOW - timedelta(days=age)) for age in AGES]
    files = [_upload(source, age, "complete") for source in KEPT for age in AGES]
    files.append(_upload("short", 75, "importing"))  # never finished: its bytes stay
    chunks = [_chunk(str(one["id"]), n) for one in files for n in range(2)]
    buckets = [_bucket(NOW - timedelta(days=age, hours=1)) for age in AGES]
    tokens = [
        {key: row[key] for key in ("rule_id", "state_version", "fingerprint", "bucket_start")}
        | {"token": "t"}
        for row in buckets
    ]
    with engine.begin() as conn:
        conn.execute(insert(events), event_rows)
        conn.execute(insert(raw_events), raw_rows)
        conn.execute(insert(rejected_items), rejects)
        conn.execute(insert(rule_matches), matches)
        conn.execute(insert(rule_window_buckets), buckets)
        conn.execute(insert(rule_window_tokens), tokens)
        conn.execute(insert(alerts), [_alert(NOW - timedelta(days=70))])
        conn.execute(insert(uploads), files)
        conn.execute(insert(upload_chunks), chunks)


def chunks_with_bytes(engine: Engine) -> Counter[str]:
    """Chunks still holding their bytes, per upload source."""
    query = (
        select(uploads.c.source, func.count())
        .select_from(upload_chunks.join(uploads, uploads.c.id == upload_chunks.c.upload_id))
        .where(func.length(upload_chunks.c.raw) > 0)
        .group_by(uploads.c.source)
    )
    with engine.connect() as conn:
        return Counter({source: int(n) for source, n in conn.execute(query)})


def counts(engine: Engine, table: Any, column: str = "source") -> Counter[str | None]:
    """Rows per source (or another column) as the table holds them."""
    with engine.connect() as conn:
        rows = conn.execute(select(table.c[column], func.count()).group_by(table.c[column]))
        return Counter({key: int(n) for key, n in rows})


def total(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _event(source: str, event_id: str, when: datetime) -> dict[str, Any]:
    return {
        "source": source,
        "event_id": event_id,
        "type": f"{source}.seen",
        "occurred_at": when,
        "received_at": when,
        "processed_at": when,
        "data": {"ref": event_id},
    }


def _reject(key: str, source: str | None, when: datetime) -> dict[str, Any]:
    return {
        "item_key": key,
        "source": source,
        "reason": "invalid",
        "errors": [],
        "payload": "{}",
        "received_at": when,
        "rejected_at": when,
    }


def _match(source: str, event_id: str, when: datetime) -> dict[str, Any]:
    return {
        "rule_id": "short-burst",
        "rule_version": "v1",
        "kind": "match",
        "match_key": f"event:{source}:{event_id}",
        "fingerprint": "f" * 32,
        "group_values": [],
        "source": source,
        "event_id": event_id,
        "occurred_at": when,
        "matched_at": when,
    }


def _upload(source: str, age: int, status: str) -> dict[str, Any]:
    created = NOW - timedelta(days=age, hours=2)
    return {
        "id": f"{status[:3]}{source}{age}".ljust(32, "0"),
        "source": source,
        "filename": f"{source}-{age}.csv",
        "object_key": f"incoming/{source}/{source}-{age}.csv",
        "origin": "direct",
        "status": status,
        "created_at": created,
    }


def _chunk(upload_id: str, n: int) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "chunk": n,
        "first_line": 2 + n,
        "last_line": 2 + n,
        "rows_seen": 1,
        "rows_stored": 1,
        "rows_duplicate": 0,
        "rows_rejected": 0,
        "raw": b"ref,n\nx,1\n",
        "processed_at": NOW - timedelta(days=80),
    }


def _bucket(start: datetime) -> dict[str, Any]:
    return {
        "rule_id": "short-burst",
        "state_version": "s1",
        "fingerprint": "f" * 32,
        "bucket_start": start,
        "entries": 1,
        "numbers": 0,
        "total": 0.0,
        "latest_at": start,
        "latest_source": "short",
        "latest_event_id": "short-x",
    }


def _alert(opened: datetime) -> dict[str, Any]:
    return {
        "fingerprint": "f" * 32,
        "active_key": None,
        "rule_id": "short-burst",
        "rule_version": "v1",
        "kind": "threshold",
        "severity": "low",
        "source": "short",
        "group_values": [],
        "labels": {},
        "status": "resolved",
        "flapping": False,
        "count": 1,
        "first_seen_at": opened,
        "last_seen_at": opened,
        "last_matched_at": opened,
        "opened_at": opened,
        "sample_source": "short",
        "sample_event_id": "short-75",
        "resolved_at": opened,
        "repeats": 0,
        "reminders": 0,
        "owed": False,
        "updated_at": opened,
    }
