"""What an event is, and the one function that decides whether an item is one.

The API and the processor both call :func:`validate_event`: the API to answer the integrator at
once, the processor because a queue can be fed by other hands (a redrive, a replay) and must never
store what the API would have refused. Decisions are returned as values, never raised, so a batch
always gets an answer per item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.json_values import json_kind, parse_timestamp
from chalicelib.domain.sources import SOURCE_PATTERN, TYPE_PATTERN

EVENT_FIELDS = ("source", "type", "id", "occurred_at", "data")
MAX_EVENT_ID_LENGTH = 128
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class NamedField:
    """``source`` and ``type``: checked against a pattern after trimming, in writes and filters."""

    name: str
    pattern: re.Pattern[str]
    lower: bool = False

    def normalize(self, value: str, problems: list[Detail]) -> str | None:
        text = value.strip().lower() if self.lower else value.strip()
        if self.pattern.fullmatch(text):
            return text
        problems.append(Detail(f"must match {self.pattern.pattern}", field=self.name, value=value))
        return None


SOURCE = NamedField("source", SOURCE_PATTERN, lower=True)
TYPE = NamedField("type", TYPE_PATTERN)


@dataclass(frozen=True)
class Limits:
    """Request limits; defaults are the documented ones (settings may change them)."""

    max_batch_events: int = 500
    max_body_bytes: int = 1024 * 1024
    max_event_bytes: int = 32 * 1024
    max_fields: int = 200  # names in ``data``, nested objects' names included
    max_depth: int = 8  # objects and arrays inside ``data``
    max_string_chars: int = 8192  # any one string value in ``data``


MAX_FIELD_NAME_CHARS = 128
SHOWN_SHAPE_PROBLEMS = 10  # a hostile item could have thousands; the first ten say enough


@dataclass(frozen=True)
class Event:
    """A validated, normalized event: strings trimmed, times in UTC, ``source`` lower case."""

    source: str
    type: str
    event_id: str
    occurred_at: datetime
    received_at: datetime
    data: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        """The idempotency key: one stored event per ``(source, event_id)``."""
        return (self.source, self.event_id)


def validate_event(
    item: object,
    *,
    received_at: datetime,
    assigned_id: str | None = None,
    limits: Limits = Limits(),
) -> Event | list[Detail]:
    """Return the normalized event, or every problem with the item (never only the first)."""
    if not isinstance(item, dict):
        return [Detail(f"an event must be a JSON object, not {json_kind(item)}")]
    size_problem = _size_problem(item, limits.max_event_bytes)
    if size_problem is not None:
        return [size_problem]
    problems = [Detail("unknown field", field=name) for name in item if name not in EVENT_FIELDS]
    source = _named_field(item, SOURCE, problems)
    event_type = _named_field(item, TYPE, problems)
    given_id = item.get("id")
    event_id = _event_id(assigned_id if given_id is None else given_id, problems)
    occurred_at = _timestamp(item.get("occurred_at"), received_at, problems)
    data = {} if item.get("data") is None else item["data"]
    if not isinstance(data, dict):
        problems.append(Detail(f"must be a JSON object, not {json_kind(data)}", field="data"))
    else:
        problems.extend(shape_problems(data, limits))
    if problems or source is None or event_type is None or event_id is None:
        return problems
    return Event(
        source=source,
        type=event_type,
        event_id=event_id,
        occurred_at=occurred_at or received_at,
        received_at=received_at,
        data=trim_strings(data),
    )


def shape_problems(data: Mapping[str, Any], limits: Limits) -> list[Detail]:
    """What makes ``data`` too big to store or to judge, by field path: too many names, too
    deep, a name or a string too long. Walked without recursion, so depth costs no stack."""
    problems: list[Detail] = []
    names = 0
    pending: list[tuple[str, object, int]] = [("data", data, 0)]
    while pending and len(problems) < SHOWN_SHAPE_PROBLEMS:
        path, value, depth = pending.pop()
        if isinstance(value, str) and len(value) > limits.max_string_chars:
            problems.append(
                Detail(
                    f"is {len(value)} characters; the limit is {limits.max_string_chars}",
                    field=path,
                )
            )
        if not isinstance(value, dict | list):
            continue
        if depth >= limits.max_depth:
            problems.append(Detail(f"nests deeper than {limits.max_depth} levels", field=path))
            continue
        if isinstance(value, list):
            pending.extend(
                (f"{path}[{index}]", inner, depth + 1)
                for index, inner in reversed(list(enumerate(value)))
            )
            continue
        names += len(value)
        for name in value:
            if len(name) > MAX_FIELD_NAME_CHARS:
                problems.append(
                    Detail(
                        f"a field name is longer than {MAX_FIELD_NAME_CHARS} characters",
                        field=path,
                        value=name[:40] + "…",
                    )
                )
        pending.extend(
            (f"{path}.{name}", inner, depth + 1) for name, inner in reversed(list(value.items()))
        )
    if names > limits.max_fields:
        problems.append(
            Detail(f"has {names} fields; the limit is {limits.max_fields}", field="data")
        )
    return problems[:SHOWN_SHAPE_PROBLEMS]


def _named_field(item: Mapping[str, Any], field: NamedField, problems: list[Detail]) -> str | None:
    value = item.get(field.name)
    if value is None:
        problems.append(Detail("is required", field=field.name))
        return None
    if not isinstance(value, str):
        problems.append(Detail(f"must be a string, not {json_kind(value)}", field=field.name))
        return None
    return field.normalize(value, problems)


def _size_problem(item: dict[str, Any], limit: int) -> Detail | None:
    """Too large, or holding NaN/Infinity (not JSON: a redriven message could carry them)."""
    try:
        text = json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return Detail("holds NaN or Infinity, which JSON does not allow", field="data")
    size = len(text.encode())
    return Detail(f"event is {size} bytes; the limit is {limit}") if size > limit else None


def _event_id(value: object, problems: list[Detail]) -> str | None:
    if value is None:
        problems.append(Detail("is required (the API assigns one when it is absent)", field="id"))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(Detail(f"must be a string or integer, not {json_kind(value)}", field="id"))
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_EVENT_ID_LENGTH or not text.isprintable():
        problems.append(
            Detail(
                f"must be 1 to {MAX_EVENT_ID_LENGTH} printable characters", field="id", value=value
            )
        )
        return None
    return text


def _timestamp(value: object, received_at: datetime, problems: list[Detail]) -> datetime | None:
    if value is None:
        return None
    parsed = parse_timestamp(value)
    if isinstance(parsed, str):
        problems.append(Detail(parsed, field="occurred_at", value=value))
        return None
    if parsed > received_at + FUTURE_TOLERANCE:
        problems.append(
            Detail("is more than a day in the future", field="occurred_at", value=value)
        )
        return None
    if parsed < EARLIEST:
        problems.append(Detail("is before 1970", field="occurred_at", value=value))
        return None
    return parsed


def trim_strings(value: Any) -> Any:
    """Strip surrounding white space from every string value inside a JSON value.

    Keys are left alone: trimming ``" k "`` and ``"k"`` to one key would silently drop a value.
    """
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {key: trim_strings(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [trim_strings(inner) for inner in value]
    return value
