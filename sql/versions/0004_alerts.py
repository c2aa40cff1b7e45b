"""Alerts: one row per problem with its lifecycle, the per-fingerprint lock row, the timeline,
the notification outbox, and silences.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("active_key", sa.String(32), nullable=True),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("group_values", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen_at", STAMP, nullable=False),
        sa.Column("last_seen_at", STAMP, nullable=False),
        sa.Column("last_matched_at", STAMP, nullable=False),
        sa.Column("opened_at", STAMP, nullable=False),
        sa.Column("observed", sa.Double(), nullable=True),
        sa.Column("sample_source", sa.String(64), nullable=True),
        sa.Column("sample_event_id", sa.String(128), nullable=True),
        sa.Column("clear_since", STAMP, nullable=True),
        sa.Column("acknowledged_at", STAMP, nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", STAMP, nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolution", sa.String(1000), nullable=True),
        sa.Column("notified_at", STAMP, nullable=True),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("owed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("active_key", name="uq_alerts_active_key"),
        **MYSQL,
    )
    op.create_index("ix_alerts_opened_at_id", "alerts", ["opened_at", "id"])
    op.create_index("ix_alerts_status_opened_at_id", "alerts", ["status", "opened_at", "id"])
    op.create_index("ix_alerts_rule_id_opened_at_id", "alerts", ["rule_id", "opened_at", "id"])
    op.create_index("ix_alerts_fingerprint_opened_at", "alerts", ["fingerprint", "opened_at"])
    op.create_table(
        "alert_fingerprints",
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("flapping_since", STAMP, nullable=True),
        sa.Column("touched_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_alert_fingerprints"),
        **MYSQL,
    )
    op.create_table(
        "alert_timeline",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("comment", sa.String(1000), nullable=True),
        sa.Column("outbox_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_timeline"),
        **MYSQL,
    )
    op.create_index("ix_alert_timeline_alert_id_id", "alert_timeline", ["alert_id", "id"])
    op.create_table(
        "alert_outbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=False),
        sa.Column("transition", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", STAMP, nullable=False),
        sa.Column("claimed_until", STAMP, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("silence_id", sa.String(32), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("settled_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_outbox"),
        sa.UniqueConstraint("alert_id", "transition",
                            name="uq_alert_outbox_alert_id_transition"),
        **MYSQL,
    )
    op.create_index("ix_alert_outbox_status_next_attempt_at", "alert_outbox",
                    ["status", "next_attempt_at"])
    op.create_table(
        "silences",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", STAMP, nullable=False),
        sa.Column("ends_at", STAMP, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("recurrence", sa.JSON(), nullable=True),
        sa.Column("comment", sa.String(1000), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("expired_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_silences"),
        **MYSQL,
    )
    op.create_index("ix_silences_ends_at", "silences", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_silences_ends_at", table_name="silences")
    op.drop_table("silences")
    op.drop_index("ix_alert_outbox_status_next_attempt_at", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_index("ix_alert_timeline_alert_id_id", table_name="alert_timeline")
    op.drop_table("alert_timeline")
    op.drop_table("alert_fingerprints")
    for name in ("ix_alerts_fingerprint_opened_at", "ix_alerts_rule_id_opened_at_id",
                 "ix_alerts_status_opened_at_id", "ix_alerts_opened_at_id"):
        op.drop_index(name, table_name="alerts")
    op.drop_table("alerts")
