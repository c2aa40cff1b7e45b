"""SqlReportRows: a report's records, read in keyset pages in the order of an index.

Pages, not one streamed result: a Lambda function keeps one database connection, and a server-
side cursor holds it until the last row is read, so the report's progress could not be recorded
while it is written. A page is ``PAGE_ROWS`` records read by one index range scan from the last
record of the page before (time, then id), so memory is bounded by a page whatever the range,
and a record stored meanwhile behind the reader is not read twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    Engine,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    type_coerce,
)

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import alerts, events, rule_matches, uploads
from chalicelib.domain.reports import EVENT_COLUMNS, Report

PAGE_ROWS = 5_000


@dataclass(frozen=True)
class KindQuery:
    """Where a kind's records are: the table, the instant its range and order are on, the
    tie-breaking key, the source column, and the column each list filter names."""

    table: Table
    stamp: str
    key: str = "id"
    filters: Mapping[str, str] = field(default_factory=dict)
    columns: tuple[str, ...] = ()  # what the kind's cells read; every column when empty


QUERIES: Mapping[str, KindQuery] = {
    "events": KindQuery(events, "occurred_at", filters={"types": "type"}, columns=EVENT_COLUMNS),
    "alerts": KindQuery(
        alerts,
        "opened_at",
        filters={"rules": "rule_id", "severities": "severity", "statuses": "status"},
    ),
    "uploads": KindQuery(uploads, "created_at"),
    "rule-matches": KindQuery(rule_matches, "occurred_at", filters={"rules": "rule_id"}),
}


class SqlReportRows:
    def __init__(self, engine: Engine, *, page_rows: int = PAGE_ROWS) -> None:
        self._engine = engine
        self._page_rows = page_rows

    def count(self, report: Report) -> int:
        query = QUERIES[report.kind]
        statement = select(func.count()).select_from(query.table).where(*_matching(report, query))
        with database_errors("counting a report's rows"), self._engine.connect() as conn:
            return int(conn.scalar(statement) or 0)

    def records(self, report: Report) -> Iterator[Mapping[str, Any]]:
        """Every record the report covers, oldest first."""
        query = QUERIES[report.kind]
        stamp, key = query.table.c[query.stamp], query.table.c[query.key]
        after: tuple[datetime, Any] | None = None
        while True:
            conditions = list(_matching(report, query))
            if after is not None:
                conditions.append(or_(stamp > after[0], and_(stamp == after[0], key > after[1])))
            statement = (
                select(*_columns(query))
                .where(*conditions)
                .order_by(stamp, key)
                .limit(self._page_rows)
            )
            with database_errors("reading a report's rows"), self._engine.connect() as conn:
                page = [cast(Mapping[str, Any], row._mapping) for row in conn.execute(statement)]
            yield from page
            if len(page) < self._page_rows:
                return
            after = (page[-1][query.stamp], page[-1][query.key])


def _columns(query: KindQuery) -> list[ColumnElement[Any]]:
    """The columns the kind's cells read (every one unless it says), a JSON one as the text the
    database holds: a report writes it as text, and parsing it only to write it again, like
    converting an instant no cell shows, costs a fifth of an export's time."""
    table = query.table
    names = (query.key, *query.columns) if query.columns else table.columns.keys()
    return [
        type_coerce(table.c[name], Text).label(name)
        if isinstance(table.c[name].type, JSON)
        else table.c[name]
        for name in names
    ]


def _matching(report: Report, query: KindQuery) -> Iterator[ColumnElement[bool]]:
    table = query.table
    yield table.c[query.stamp] >= report.since
    yield table.c[query.stamp] < report.until
    if report.sources is not None:
        yield table.c.source.in_(report.sources)
    for name, column in query.filters.items():
        if values := report.filter(name):
            yield table.c[column].in_(values)
