"""SqlKpiReader: ``GET /kpis`` read from the ``kpi_*_facts`` views of migrations 0007 and 0008.

Each query filters a facts view by its time column and groups it by the view's bucket column.
The facts views have no GROUP BY, so MySQL merges them (``ALGORITHM=MERGE``) and SQLite
flattens them: the range lands on the base table's index, where a filter applied outside a
grouped view would not (``docs/kpis.md`` has the plans). The buckets' SQL lives in the views
only, so a DBA's query and this one group alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, Float, Integer, String, column, func, select, table
from sqlalchemy.sql import Select, TableClause

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.types import UtcDateTime
from chalicelib.domain.reports import (
    MAX_UPLOADS,
    AlertFact,
    EventCount,
    KpiFacts,
    KpiQuery,
    MatchCount,
    RejectCount,
    UploadFact,
)


def _bucketed(name: str, at: str, buckets: tuple[str, ...], *others: str) -> TableClause:
    """A facts view: its time column, its buckets, and plain text columns."""
    return table(
        name,
        column(at, UtcDateTime),
        *(column(bucket, String) for bucket in buckets),
        *(column(other, String) for other in others),
    )


BY_DAY_HOUR = ("day", "hour")
BY_DAY_HOUR_MINUTE = (*BY_DAY_HOUR, "minute")  # migration 0008
EVENT_FACTS = _bucketed("kpi_event_facts", "occurred_at", BY_DAY_HOUR_MINUTE, "source", "type")
REJECT_FACTS = _bucketed("kpi_reject_facts", "rejected_at", BY_DAY_HOUR, "source", "upload_id")
MATCH_FACTS = _bucketed(
    "kpi_rule_match_facts", "occurred_at", BY_DAY_HOUR_MINUTE, "rule_id", "source"
)
ALERT_FACTS = table(
    "kpi_alert_facts",
    column("opened_at", UtcDateTime),
    column("rule_id", String),
    column("severity", String),
    column("source", String),
    column("seconds_to_acknowledge", Float),
    column("seconds_to_resolve", Float),
)
UPLOAD_FACTS = table(
    "kpi_upload_facts",
    column("created_at", UtcDateTime),
    *(column(name, String) for name in ("upload_id", "source", "filename", "status")),
    *(column(name, Integer) for name in ("rows_seen", "rows_rejected")),
    *(column(name, Float) for name in ("reject_rate", "duration_seconds", "rows_per_second")),
)


class SqlKpiReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self, query: KpiQuery) -> KpiFacts:
        with database_errors("reading KPIs"), self._engine.connect() as conn:
            rows = {
                name: conn.execute(statement).all() for name, statement in kpi_statements(query)
            }
        uploads = rows["uploads"]
        return KpiFacts(
            events=[EventCount(*row) for row in rows["events"]],
            rejects=[RejectCount(*row) for row in rows["rejects"]],
            matches=[MatchCount(*row) for row in rows["matches"]],
            alerts=[AlertFact(*row) for row in rows["alerts"]],
            uploads=[_upload(row) for row in uploads[:MAX_UPLOADS]],
            more_uploads=len(uploads) > MAX_UPLOADS,
        )


def kpi_statements(query: KpiQuery) -> Sequence[tuple[str, Select[Any]]]:
    """One statement per family of figures, each ranged on its facts view's time column."""
    events_bucket = EVENT_FACTS.c[query.interval]
    matches_bucket = MATCH_FACTS.c[query.interval]
    count = func.count().label("n")
    return [
        (
            "events",
            _ranged(EVENT_FACTS, "occurred_at", query)
            .with_only_columns(EVENT_FACTS.c.source, EVENT_FACTS.c.type, events_bucket, count)
            .group_by(EVENT_FACTS.c.source, EVENT_FACTS.c.type, events_bucket)
            .order_by(events_bucket, EVENT_FACTS.c.source, EVENT_FACTS.c.type),
        ),
        (
            "rejects",
            _ranged(REJECT_FACTS, "rejected_at", query)
            .with_only_columns(REJECT_FACTS.c.source, count)
            .group_by(REJECT_FACTS.c.source),
        ),
        (
            "matches",
            _ranged(MATCH_FACTS, "occurred_at", query)
            .with_only_columns(MATCH_FACTS.c.rule_id, matches_bucket, count)
            .group_by(MATCH_FACTS.c.rule_id, matches_bucket)
            .order_by(matches_bucket, MATCH_FACTS.c.rule_id),
        ),
        (
            "alerts",
            _ranged(ALERT_FACTS, "opened_at", query).with_only_columns(
                ALERT_FACTS.c.rule_id,
                ALERT_FACTS.c.severity,
                ALERT_FACTS.c.seconds_to_acknowledge,
                ALERT_FACTS.c.seconds_to_resolve,
            ),
        ),
        (
            "uploads",
            _ranged(UPLOAD_FACTS, "created_at", query)
            .with_only_columns(*UPLOAD_FACTS.c)
            .order_by(UPLOAD_FACTS.c.created_at.desc(), UPLOAD_FACTS.c.upload_id.desc())
            .limit(MAX_UPLOADS + 1),
        ),
    ]


def _ranged(view: TableClause, at: str, query: KpiQuery) -> Select[Any]:
    """The view's rows in ``[since, until)``, of the query's sources when it names some."""
    conditions: list[ColumnElement[bool]] = [
        view.c[at] >= query.since,
        view.c[at] < query.until,
    ]
    if query.sources is not None:
        conditions.append(view.c.source.in_(query.sources))
    return select(view).where(*conditions)


def _upload(row: Any) -> UploadFact:
    return UploadFact(
        upload_id=row.upload_id,
        source=row.source,
        filename=row.filename,
        status=row.status,
        created_at=row.created_at,
        rows_seen=row.rows_seen,
        rows_rejected=row.rows_rejected,
        reject_rate=row.reject_rate,
        duration_seconds=row.duration_seconds,
        rows_per_second=row.rows_per_second,
    )
