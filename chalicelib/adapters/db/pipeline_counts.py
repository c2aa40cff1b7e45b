"""SqlPipelineCounts: what ``GET /metrics`` reports of the database, read in one snapshot.

Each figure is one grouped count over an index (events by ``(source, occurred_at, id)``, alerts
through ``status``, the outbox through ``(status, next_attempt_at)``). Counting events is a scan
of that index, which grows with the table: a scrape every minute is fine for millions of rows,
and the purge keeps the table from growing without end.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import alert_outbox, alerts, events, rejected_items, uploads
from chalicelib.domain.alerts import EXTERNAL
from chalicelib.domain.incidents import INCIDENT
from chalicelib.domain.metrics import AlertCount, StoredCounts

ACTIVE = ("open", "acknowledged")
# ``tripline_alerts_active{kind}``: a rule's alert, a pipeline incident, or another tool's
KINDS = {INCIDENT: "operations", EXTERNAL: "external"}


class SqlPipelineCounts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def counts(self) -> StoredCounts:
        n = func.count().label("n")
        by_source = select(events.c.source, n).group_by(events.c.source)
        rejected = select(rejected_items.c.source, n).group_by(rejected_items.c.source)
        by_status = select(uploads.c.status, n).group_by(uploads.c.status)
        active = (
            select(alerts.c.kind, alerts.c.severity, alerts.c.status, n)
            .where(alerts.c.status.in_(ACTIVE))
            .group_by(alerts.c.kind, alerts.c.severity, alerts.c.status)
        )
        pending = select(n).select_from(alert_outbox).where(alert_outbox.c.status == "pending")
        with database_errors("counting for metrics"), self._engine.connect() as conn:
            stored = {row[0]: int(row[1]) for row in conn.execute(by_source)}
            refused = {row[0]: int(row[1]) for row in conn.execute(rejected)}
            statuses = {row[0]: int(row[1]) for row in conn.execute(by_status)}
            found: dict[tuple[str, str, str], int] = {}
            for kind, severity, status, count in conn.execute(active):
                key = (KINDS.get(kind, "rule"), severity, status)
                found[key] = found.get(key, 0) + int(count)
            outbox = int(conn.execute(pending).scalar_one())
        return StoredCounts(
            events_by_source=stored,
            rejected_by_source=refused,
            uploads_by_status=statuses,
            alerts=tuple(AlertCount(*key, count) for key, count in sorted(found.items())),
            notifications_pending=outbox,
        )
