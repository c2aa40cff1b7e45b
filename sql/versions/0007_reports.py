"""Reports generated asynchronously, and the weekly digests sent.

A report is requested (``queued``), taken by the reports function (``running``, with the rows
written so far), and ends ``complete`` (its object in the bucket) or ``failed`` (with why). A
digest is keyed by its ISO week, so a week's digest is built and sent once however often the
schedule or ``tripline digest send`` asks for it.

The KPI views (``kpi_*``, described for DBAs in ``docs/kpis.md``) are created here too. Each
``*_facts`` view is one row per base row with its hour and day buckets and derived durations, and
has no GROUP BY, so MySQL merges it into the query (``ALGORITHM=MERGE``) and SQLite flattens it:
a range filter on the view's time column reaches the base table's index. ``GET /kpis`` groups
those facts itself. The grouped views (``kpi_events_by_hour`` …) are all-time figures for people
reading the database; filtering them by time outside the view would scan every row. The bucket
and duration expressions are dialect-specific, written once per dialect below. Views run with
the invoker's rights (``SQL SECURITY INVOKER``), so the application login reads them through its
own grants. ``rejected_items(rejected_at)`` and ``rule_matches(occurred_at)`` gain indexes so a
range over them is an index range scan.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


# name -> (hour bucket, day bucket, seconds from a to b), for each dialect
BUCKETS = {
    "sqlite": (
        "strftime('%Y-%m-%dT%H:00:00Z', {0})",
        "date({0})",
        "((julianday({1}) - julianday({0})) * 86400.0)",
    ),
    "mysql": (
        "DATE_FORMAT({0}, '%Y-%m-%dT%H:00:00Z')",
        "DATE_FORMAT({0}, '%Y-%m-%d')",
        "(TIMESTAMPDIFF(MICROSECOND, {0}, {1}) / 1000000.0)",
    ),
}

# (view, what it selects, with {hour:x}, {day:x}, {seconds:a,b} filled in per dialect)
FACT_VIEWS = (
    (
        "kpi_event_facts",
        "SELECT id, source, type, occurred_at, {hour:occurred_at} AS hour,"
        " {day:occurred_at} AS day FROM events",
    ),
    (
        "kpi_reject_facts",
        "SELECT id, source, upload_id, reason, rejected_at, {hour:rejected_at} AS hour,"
        " {day:rejected_at} AS day FROM rejected_items",
    ),
    (
        "kpi_rule_match_facts",
        "SELECT id, rule_id, kind, source, occurred_at, {hour:occurred_at} AS hour,"
        " {day:occurred_at} AS day FROM rule_matches",
    ),
    (
        "kpi_alert_facts",
        "SELECT id, rule_id, severity, source, status, opened_at, {hour:opened_at} AS hour,"
        " {day:opened_at} AS day, acknowledged_at, resolved_at,"
        " {seconds:opened_at,acknowledged_at} AS seconds_to_acknowledge,"
        " {seconds:opened_at,resolved_at} AS seconds_to_resolve FROM alerts",
    ),
    (
        "kpi_upload_facts",
        "SELECT id AS upload_id, source, filename, status, created_at, completed_at, rows_seen,"
        " rows_stored, rows_duplicate, rows_rejected,"
        " CASE WHEN rows_seen > 0 THEN 1.0 * rows_rejected / rows_seen END AS reject_rate,"
        " {seconds:COALESCE(landed_at, created_at),completed_at} AS duration_seconds,"
        " CASE WHEN {seconds:COALESCE(landed_at, created_at),completed_at} > 0"
        " THEN rows_seen / {seconds:COALESCE(landed_at, created_at),completed_at}"
        " END AS rows_per_second FROM uploads",
    ),
)
GROUPED_VIEWS = (
    (
        "kpi_events_by_hour",
        "SELECT source, type, hour, COUNT(*) AS events FROM kpi_event_facts"
        " GROUP BY source, type, hour",
    ),
    (
        "kpi_events_by_day",
        "SELECT source, type, day, COUNT(*) AS events FROM kpi_event_facts"
        " GROUP BY source, type, day",
    ),
    (
        "kpi_rejects_by_source",
        "SELECT source, day, COUNT(*) AS rejected FROM kpi_reject_facts GROUP BY source, day",
    ),
    (
        "kpi_rejects_by_upload",
        "SELECT source, upload_id, COUNT(*) AS rejected FROM kpi_reject_facts"
        " WHERE upload_id IS NOT NULL GROUP BY source, upload_id",
    ),
    (
        "kpi_rule_matches_by_day",
        "SELECT rule_id, day, COUNT(*) AS matches FROM kpi_rule_match_facts GROUP BY rule_id, day",
    ),
    (
        "kpi_alerts_by_rule",
        "SELECT rule_id, severity, COUNT(*) AS opened, COUNT(acknowledged_at) AS acknowledged,"
        " COUNT(resolved_at) AS resolved,"
        " AVG(seconds_to_acknowledge) AS avg_seconds_to_acknowledge,"
        " AVG(seconds_to_resolve) AS avg_seconds_to_resolve FROM kpi_alert_facts"
        " GROUP BY rule_id, severity",
    ),
)
KPI_VIEWS = tuple(name for name, _ in (*FACT_VIEWS, *GROUPED_VIEWS))


def _view_sql(template: str, dialect: str) -> str:
    """``template`` with its ``{hour:x}``, ``{day:x}`` and ``{seconds:a,b}`` written for
    ``dialect`` (the only dialect-specific part of the views)."""
    hour, day, seconds = BUCKETS["sqlite" if dialect == "sqlite" else "mysql"]
    forms = {"hour": hour, "day": day, "seconds": seconds}

    def fill(match: re.Match[str]) -> str:
        kind, arguments = match.group(1), match.group(2)
        first, _, second = arguments.rpartition(",") if kind == "seconds" else (arguments, "", "")
        return forms[kind].format(first, second)

    return re.sub(r"\{(hour|day|seconds):((?:[^{}(]|\([^()]*\))+)\}", fill, template)


def _create_views() -> None:
    dialect = op.get_context().dialect.name
    merge = "" if dialect == "sqlite" else "ALGORITHM=MERGE SQL SECURITY INVOKER "
    grouped = "" if dialect == "sqlite" else "SQL SECURITY INVOKER "
    for name, template in FACT_VIEWS:
        op.execute(sa.text(f"CREATE {merge}VIEW {name} AS {_view_sql(template, dialect)}"))
    for name, template in GROUPED_VIEWS:
        op.execute(sa.text(f"CREATE {grouped}VIEW {name} AS {_view_sql(template, dialect)}"))


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.Column("rows_expected", sa.BigInteger(), nullable=True),
        sa.Column("object_key", sa.String(1024), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("started_at", STAMP, nullable=True),
        sa.Column("finished_at", STAMP, nullable=True),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        **MYSQL,
    )
    op.create_index("ix_reports_created_at_id", "reports", ["created_at", "id"])
    op.create_table(
        "digests",
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("starts_at", STAMP, nullable=False),
        sa.Column("ends_at", STAMP, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=True),
        sa.Column("headline", sa.JSON(), nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("sent_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("week", name="pk_digests"),
        **MYSQL,
    )
    op.create_index("ix_rejected_items_rejected_at", "rejected_items", ["rejected_at"])
    op.create_index("ix_rule_matches_occurred_at", "rule_matches", ["occurred_at"])
    _create_views()


def downgrade() -> None:
    for name in reversed(KPI_VIEWS):
        op.execute(sa.text(f"DROP VIEW {name}"))
    op.drop_index("ix_rule_matches_occurred_at", table_name="rule_matches")
    op.drop_index("ix_rejected_items_rejected_at", table_name="rejected_items")
    op.drop_table("digests")
    op.drop_index("ix_reports_created_at_id", table_name="reports")
    op.drop_table("reports")
