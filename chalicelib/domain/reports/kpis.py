"""``GET /kpis``: the query it takes, the facts the database gives back, and the figures it answers.

The range is half-open (``since`` inclusive, ``until`` exclusive) and bounded: without one the
last week is shown, and a range wider than :data:`MAX_RANGE` is refused rather than left to scan
months of events. Finer buckets are allowed over shorter ranges (:data:`MAX_BUCKETED_RANGE`:
hours up to a week, minutes up to a day), so an answer stays a few thousand rows. Medians and 90th percentiles are computed here from the alerts in range:
SQLite has no percentile function and MySQL 8 none that works as an aggregate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.paging import time_parameter

KPI_PARAMETERS = ("since", "until", "source", "interval")
INTERVALS = ("day", "hour", "minute")
DEFAULT_RANGE = timedelta(days=7)
MAX_RANGE = timedelta(days=92)
MAX_BUCKETED_RANGE = {  # the widest range each bucket may cover (a day's: MAX_RANGE)
    "hour": (timedelta(days=7), "hourly figures cover at most 7 days"),
    "minute": (timedelta(days=1), "figures by the minute cover at most 1 day"),
}
MAX_UPLOADS = 1000  # the newest uploads in range; the answer says when there were more


@dataclass(frozen=True)
class KpiQuery:
    """What the figures cover; ``sources`` None means every source (operators, admins)."""

    since: datetime
    until: datetime
    interval: str = "day"
    sources: tuple[str, ...] | None = None


@dataclass(frozen=True)
class KpiScope:
    """What the caller may read (``readable`` None: every source) and how to tell a source
    exists: in the catalog, or seen in stored events (JSON sources need no definition)."""

    readable: tuple[str, ...] | None
    is_known: Callable[[str], bool]


@dataclass(frozen=True)
class EventCount:
    source: str
    type: str
    bucket: str
    events: int


@dataclass(frozen=True)
class RejectCount:
    source: str | None  # None: items rejected before a source could be read
    rejected: int


@dataclass(frozen=True)
class MatchCount:
    rule_id: str
    bucket: str
    matches: int


@dataclass(frozen=True)
class AlertFact:
    rule_id: str
    severity: str
    seconds_to_acknowledge: float | None
    seconds_to_resolve: float | None


@dataclass(frozen=True)
class UploadFact:
    upload_id: str
    source: str
    filename: str
    status: str
    created_at: datetime
    rows_seen: int | None
    rows_rejected: int | None
    reject_rate: float | None
    duration_seconds: float | None
    rows_per_second: float | None


@dataclass(frozen=True)
class KpiFacts:
    """What the database answers for one :class:`KpiQuery`, each list already grouped."""

    events: Sequence[EventCount] = ()
    rejects: Sequence[RejectCount] = ()
    matches: Sequence[MatchCount] = ()
    alerts: Sequence[AlertFact] = ()
    uploads: Sequence[UploadFact] = ()
    more_uploads: bool = False


def parse_kpi_query(params: Mapping[str, str], *, now: datetime, scope: KpiScope) -> KpiQuery:
    """Query-string parameters to a query; every bad parameter is reported at once, each naming
    its field. A source the caller may not read is as unknown as one that does not exist."""
    problems = [
        Detail(f"unknown parameter; expected one of {', '.join(KPI_PARAMETERS)}", field=name)
        for name in params
        if name not in KPI_PARAMETERS
    ]
    since, until = _range(params, now, problems)
    interval = params.get("interval", "day")
    if interval not in INTERVALS:
        problems.append(Detail("must be day, hour or minute", field="interval", value=interval))
    elif interval in MAX_BUCKETED_RANGE and until - since > MAX_BUCKETED_RANGE[interval][0]:
        problems.append(Detail(MAX_BUCKETED_RANGE[interval][1], field="interval"))
    sources = _sources(params.get("source"), scope, problems)
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    return KpiQuery(since, until, interval, sources)


def _range(
    params: Mapping[str, str], now: datetime, problems: list[Detail]
) -> tuple[datetime, datetime]:
    given_since = time_parameter(params, "since", problems)
    given_until = time_parameter(params, "until", problems)
    until = given_until or (given_since + DEFAULT_RANGE if given_since else now)
    since = given_since or until - DEFAULT_RANGE
    if since >= until:
        problems.append(Detail("must be before 'until'", field="since", value=params.get("since")))
    elif until - since > MAX_RANGE:
        problems.append(
            Detail("the range from since to until spans at most 92 days", field="until")
        )
    return since, until


def _sources(named: str | None, scope: KpiScope, problems: list[Detail]) -> tuple[str, ...] | None:
    if named is None:
        return scope.readable
    wanted = named.strip().lower()
    readable = scope.readable is None or wanted in scope.readable
    if not (readable and scope.is_known(wanted)):
        problems.append(Detail("unknown source", field="source", value=named))
    return (wanted,)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile with linear interpolation between ranks, as SQL's
    ``PERCENTILE_CONT`` computes it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
