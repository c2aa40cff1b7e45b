"""Reports generated asynchronously, and the weekly digests sent.

A report is requested (``queued``), taken by the reports function (``running``, with the rows
written so far), and ends ``complete`` (its object in the bucket) or ``failed`` (with why). A
digest is keyed by its ISO week, so a week's digest is built and sent once however often the
schedule or ``tripline digest send`` asks for it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


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


def downgrade() -> None:
    op.drop_table("digests")
    op.drop_index("ix_reports_created_at_id", table_name="reports")
    op.drop_table("reports")
