"""JSON values as the API reads and writes them: how an error names the kind of value it got,
timestamps in (ISO 8601 with an offset, kept in UTC) and values out (a time as UTC text ending in Z).

Every package that reads a query string, a request body or writes a view needs these, so they
live in the kernel rather than in one of those packages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def json_kind(value: object) -> str:
    """``a string``, ``an object``, ``null``: how an error names the JSON it got."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def parse_timestamp(value: object) -> datetime | str:
    """An ISO 8601 timestamp with an offset, in UTC; or the reason it is not one."""
    if not isinstance(value, str):
        return f"must be an ISO 8601 string, not {json_kind(value)}"
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return "is not an ISO 8601 timestamp (e.g. 2026-11-22T08:30:00Z)"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return "has no time zone; add Z or an offset such as +02:00"
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return "is out of range once converted to UTC"


def json_value(value: object) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
