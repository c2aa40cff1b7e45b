"""The body of ``POST /reports``: what may be asked for, every problem at once.

A report is read by someone who was not there when it was asked for (a manager, an auditor), so
what it covers is fixed when it is requested: the range is resolved to two instants then, never
"the last week" as of whenever the function runs, and the sources are the ones the requester may
read. A range longer than ``max_days`` is refused, not truncated: an export that silently covered
less than asked would be read as complete. An availability report without ``since`` is the Store
Monitoring report: the last hour, day and week before ``until``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Detail, RequestError
from chalicelib.domain.json_values import json_kind, parse_timestamp
from chalicelib.domain.rules import SEVERITIES

KINDS = ("events", "alerts", "uploads", "rule-matches", "availability")
FORMATS = ("csv", "xlsx")
REQUEST_KEYS = ("kind", "params", "format")
COMMON_PARAMS = ("since", "until", "sources")
PARAMS_BY_KIND: Mapping[str, tuple[str, ...]] = {
    "events": (*COMMON_PARAMS, "types"),
    "alerts": (*COMMON_PARAMS, "rules", "severities", "statuses"),
    "uploads": COMMON_PARAMS,
    "rule-matches": (*COMMON_PARAMS, "rules"),
    "availability": ("since", "until", "source"),
}
ALERT_STATUSES = ("open", "acknowledged", "resolved")
DEFAULT_DAYS = 7
MAX_LIST = 100


@dataclass(frozen=True)
class ReportRequest:
    """A report as asked for, its range resolved: ``sources`` None means every source (only an
    operator's or admin's report)."""

    kind: str
    format: str
    since: datetime
    until: datetime
    sources: tuple[str, ...] | None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    last_windows: bool = False  # availability without a range: the last hour, day and week

    def params(self) -> dict[str, Any]:
        """As stored and shown: the instants in ISO 8601, each filter a list."""
        shown: dict[str, Any] = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        if self.last_windows:
            shown["windows"] = "last"
        if self.sources is not None:
            shown["sources"] = list(self.sources)
        return shown | {name: list(values) for name, values in self.filters.items()}


@dataclass(frozen=True)
class RequestScope:
    """What the requester may read: ``sources`` None for every source."""

    sources: tuple[str, ...] | None
    known_sources: Collection[str]
    known_rules: Collection[str]


def parse_report_request(
    payload: object, *, now: datetime, scope: RequestScope, max_days: int
) -> ReportRequest:
    """The report ``payload`` asks for; ``RequestError`` naming every field that is wrong."""
    if not isinstance(payload, dict):
        raise RequestError("invalid report request", [Detail(_not_object(payload))])
    problems = [
        Detail(f"unknown field; expected one of {', '.join(REQUEST_KEYS)}", field=name)
        for name in payload
        if name not in REQUEST_KEYS
    ]
    kind = _choice(payload, "kind", KINDS, None, problems)
    fmt = _choice(payload, "format", FORMATS, "csv", problems)
    params = payload.get("params", {})
    if not isinstance(params, dict):
        problems.append(Detail(_not_object(params), field="params"))
        params = {}
    if kind is None:
        raise RequestError("invalid report request", problems)
    problems.extend(
        Detail(f"unknown parameter; expected one of {', '.join(PARAMS_BY_KIND[kind])}", field=name)
        for name in (f"params.{key}" for key in params)
        if name.removeprefix("params.") not in PARAMS_BY_KIND[kind]
    )
    since, until = _range(params, now, max_days, problems)
    sources = _sources(kind, params, scope, problems)
    filters = _filters(kind, params, scope, problems)
    if problems or fmt is None or since is None or until is None:
        raise RequestError("invalid report request", problems)
    last = kind == "availability" and "since" not in params
    return ReportRequest(kind, fmt, since, until, sources, filters, last_windows=last)


def _not_object(value: object) -> str:
    return f"must be a JSON object, not {json_kind(value)}"


def _choice(
    payload: Mapping[str, Any],
    name: str,
    allowed: tuple[str, ...],
    default: str | None,
    problems: list[Detail],
) -> str | None:
    value = payload.get(name, default)
    if value in allowed:
        return str(value)
    said = "is required" if value is None else "is not one of"
    problems.append(Detail(f"{said}: {', '.join(allowed)}", field=name, value=value))
    return None


def _range(
    params: Mapping[str, Any], now: datetime, max_days: int, problems: list[Detail]
) -> tuple[datetime | None, datetime | None]:
    """``until`` defaults to now, ``since`` to ``DEFAULT_DAYS`` before ``until``."""
    until = _instant(params, "until", now, problems)
    since = _instant(
        params, "since", None if until is None else until - _days(DEFAULT_DAYS), problems
    )
    if since is None or until is None:
        return None, None
    if since >= until:
        problems.append(Detail("must be before 'until'", field="params.since"))
    elif until - since > _days(max_days):
        shown = f"the range is {until - since}; a report covers at most {max_days} days"
        problems.append(Detail(shown, field="params.since", value=since.isoformat()))
    return since, until


def _days(count: int) -> timedelta:
    return timedelta(days=count)


def _instant(
    params: Mapping[str, Any], name: str, default: datetime | None, problems: list[Detail]
) -> datetime | None:
    if name not in params:
        return default
    parsed = parse_timestamp(params[name])
    if isinstance(parsed, str):
        problems.append(Detail(parsed, field=f"params.{name}", value=params[name]))
        return None
    return parsed


def _sources(
    kind: str, params: Mapping[str, Any], scope: RequestScope, problems: list[Detail]
) -> tuple[str, ...] | None:
    """The sources asked for, each known and readable; an ingest key's own when none is named.
    An availability report is of one source, which must be named."""
    if kind == "availability":
        named = params.get("source")
        if not isinstance(named, str):
            problems.append(Detail("name the source whose entities to report", "params.source"))
            return None
        wanted: tuple[str, ...] | None = (named,)
        field_name = "params.source"
    else:
        wanted = _names(params, "sources", problems)
        field_name = "params.sources"
    if wanted is None:
        return scope.sources
    for name in wanted:  # an ingest key is not told which other sources exist
        if scope.sources is not None and name not in scope.sources:
            own = ", ".join(scope.sources) or "none"
            shown = f"this key reads only its own sources: {own}"
            problems.append(Detail(shown, field_name, value=name))
        elif name not in scope.known_sources:
            known = ", ".join(sorted(scope.known_sources)) or "none"
            problems.append(Detail(f"unknown source; known: {known}", field_name, value=name))
    return wanted


def _filters(
    kind: str, params: Mapping[str, Any], scope: RequestScope, problems: list[Detail]
) -> dict[str, tuple[str, ...]]:
    allowed: dict[str, Collection[str] | None] = {
        "types": None,
        "rules": scope.known_rules,
        "severities": SEVERITIES,
        "statuses": ALERT_STATUSES,
    }
    found: dict[str, tuple[str, ...]] = {}
    for name, known in allowed.items():
        if name not in PARAMS_BY_KIND[kind] or name not in params:
            continue
        values = _names(params, name, problems)
        wrong = [one for one in values or () if known is not None and one not in known]
        problems.extend(
            Detail(f"is not one of: {', '.join(sorted(known or ()))}", f"params.{name}", value=one)
            for one in wrong
        )
        if values:
            found[name] = values
    return found


def _names(params: Mapping[str, Any], name: str, problems: list[Detail]) -> tuple[str, ...] | None:
    """A list of up to ``MAX_LIST`` non-empty strings (one string is a list of one)."""
    if name not in params:
        return None
    value = params[name]
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(values, list)
        or not values
        or len(values) > MAX_LIST
        or not all(isinstance(one, str) and one for one in values)
    ):
        shown = f"must be a non-empty list of at most {MAX_LIST} names"
        problems.append(Detail(shown, field=f"params.{name}", value=value))
        return None
    return tuple(dict.fromkeys(values))
