"""Raw events, processed events and rejected items.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "raw_events",
        _id(),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("received_at", STAMP, nullable=False),
        sa.Column("payload", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_raw_events"),
        sa.UniqueConstraint("source", "event_id", name="uq_raw_events_source_event_id"),
        **MYSQL,
    )
    op.create_table(
        "events",
        _id(),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("occurred_at", STAMP, nullable=False),
        sa.Column("received_at", STAMP, nullable=False),
        sa.Column("processed_at", STAMP, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("source", "event_id", name="uq_events_source_event_id"),
        **MYSQL,
    )
    op.create_index("ix_events_occurred_at_id", "events", ["occurred_at", "id"])
    op.create_index("ix_events_source_occurred_at_id", "events", ["source", "occurred_at", "id"])
    op.create_table(
        "rejected_items",
        _id(),
        sa.Column("item_key", sa.String(255), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("payload", LONG_TEXT, nullable=False),
        sa.Column("received_at", STAMP, nullable=False),
        sa.Column("rejected_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_items"),
        sa.UniqueConstraint("item_key", name="uq_rejected_items_item_key"),
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("rejected_items")
    op.drop_index("ix_events_source_occurred_at_id", table_name="events")
    op.drop_index("ix_events_occurred_at_id", table_name="events")
    op.drop_table("events")
    op.drop_table("raw_events")
