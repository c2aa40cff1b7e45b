"""What each kind of report holds: its columns, and the cells a stored record becomes.

Figures a reader would otherwise compute by hand are columns of their own: an alert's time to
acknowledge and to resolve, an upload's reject rate, duration and rows per second. Durations are
seconds, so a spreadsheet sums and averages them; instants stay instants (the writer gives them
a date format), and JSON values (an event's data, an alert's group) are JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain.reports.table_cells import EVENT_COLUMNS, Cell

Record = Mapping[str, Any]
ALERT_COLUMNS = (
    "id",
    "rule_id",
    "severity",
    "source",
    "status",
    "group_values",
    "matches",
    "first_seen_at",
    "last_seen_at",
    "opened_at",
    "acknowledged_at",
    "acknowledged_by",
    "time_to_acknowledge_s",
    "resolved_at",
    "resolved_by",
    "resolution",
    "time_to_resolve_s",
)
UPLOAD_COLUMNS = (
    "id",
    "source",
    "filename",
    "origin",
    "status",
    "status_reason",
    "size_bytes",
    "rows_seen",
    "rows_stored",
    "rows_duplicate",
    "rows_rejected",
    "reject_rate",
    "created_at",
    "landed_at",
    "completed_at",
    "duration_s",
    "rows_per_s",
)
MATCH_COLUMNS = (
    "rule_id",
    "rule_version",
    "kind",
    "fingerprint",
    "group_values",
    "source",
    "event_id",
    "occurred_at",
    "observed",
    "matched_at",
)


def json_text(value: Any) -> str | None:
    """A JSON value as text; text read as the database holds it is already that."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else round((end - start).total_seconds(), 3)


def event_cells(record: Record) -> tuple[Cell, ...]:
    return (*(record[name] for name in EVENT_COLUMNS[:-1]), json_text(record["data"]))


def alert_cells(record: Record) -> tuple[Cell, ...]:
    opened = record["opened_at"]
    derived = {
        "group_values": json_text(record["group_values"]),
        "matches": record["count"],
        "time_to_acknowledge_s": seconds_between(opened, record["acknowledged_at"]),
        "time_to_resolve_s": seconds_between(opened, record["resolved_at"]),
    }
    return tuple(derived[name] if name in derived else record[name] for name in ALERT_COLUMNS)


def upload_cells(record: Record) -> tuple[Cell, ...]:
    """The reject rate is of the rows seen; the duration runs from the file landing to its last
    row stored, and rows per second are the rows seen over it."""
    seen, rejected = record["rows_seen"], record["rows_rejected"]
    duration = seconds_between(record["landed_at"], record["completed_at"])
    derived = {
        "size_bytes": record["object_size"],
        "reject_rate": None if not seen else round(rejected / seen, 6),
        "duration_s": duration,
        "rows_per_s": None if not duration or seen is None else round(seen / duration, 1),
    }
    return tuple(derived[name] if name in derived else record[name] for name in UPLOAD_COLUMNS)


def match_cells(record: Record) -> tuple[Cell, ...]:
    return tuple(
        json_text(record[name]) if name == "group_values" else record[name]
        for name in MATCH_COLUMNS
    )


TABLES: Mapping[str, tuple[tuple[str, ...], Callable[[Record], tuple[Cell, ...]]]] = {
    "events": (EVENT_COLUMNS, event_cells),
    "alerts": (ALERT_COLUMNS, alert_cells),
    "uploads": (UPLOAD_COLUMNS, upload_cells),
    "rule-matches": (MATCH_COLUMNS, match_cells),
}
