"""Events and rule matches by the minute: their facts views gain a ``minute`` bucket.

The console's overview draws events per minute per source over the last hours; ``GET /kpis``
groups events and rule matches by the bucket the caller names, and the buckets' SQL lives in the
views only (a DBA's query and the API's group alike). The views stay ungrouped, so MySQL still
merges them (``ALGORITHM=MERGE``) and SQLite still flattens them: a range on ``occurred_at`` is a
range on the base table's index, whichever bucket is grouped. The grouped views built on them
(``kpi_events_by_hour`` …) name their columns and read on unchanged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# dialect -> (minute, hour, day) of occurred_at, as 0007 wrote the hour and the day
BUCKETS = {
    "sqlite": (
        "strftime('%Y-%m-%dT%H:%M:00Z', occurred_at)",
        "strftime('%Y-%m-%dT%H:00:00Z', occurred_at)",
        "date(occurred_at)",
    ),
    "mysql": (
        "DATE_FORMAT(occurred_at, '%Y-%m-%dT%H:%i:00Z')",
        "DATE_FORMAT(occurred_at, '%Y-%m-%dT%H:00:00Z')",
        "DATE_FORMAT(occurred_at, '%Y-%m-%d')",
    ),
}


# view -> (its own columns, the table it reads); each is bucketed on occurred_at
VIEWS = {
    "kpi_event_facts": ("id, source, type, occurred_at", "events"),
    "kpi_rule_match_facts": ("id, rule_id, kind, source, occurred_at", "rule_matches"),
}


def _replace_views(with_minute: bool) -> None:
    dialect = op.get_context().dialect.name
    minute, hour, day = BUCKETS["sqlite" if dialect == "sqlite" else "mysql"]
    for name, (columns, table) in VIEWS.items():
        buckets = f"{hour} AS hour, {day} AS day" + (f", {minute} AS minute" if with_minute else "")
        select = f"SELECT {columns}, {buckets} FROM {table}"
        if dialect == "sqlite":  # no CREATE OR REPLACE; views reading it resolve it by name
            op.execute(sa.text(f"DROP VIEW {name}"))
            op.execute(sa.text(f"CREATE VIEW {name} AS {select}"))
        else:
            merge = "ALGORITHM=MERGE SQL SECURITY INVOKER"
            op.execute(sa.text(f"CREATE OR REPLACE {merge} VIEW {name} AS {select}"))


def upgrade() -> None:
    _replace_views(with_minute=True)


def downgrade() -> None:
    _replace_views(with_minute=False)
