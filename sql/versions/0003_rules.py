"""Rules: recorded matches with the rule version that fired, window and absence state, failures.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rule_matches",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("match_key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("group_values", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column("occurred_at", STAMP, nullable=False),
        sa.Column("observed", sa.Double(), nullable=True),
        sa.Column("matched_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rule_matches"),
        sa.UniqueConstraint("rule_id", "match_key", name="uq_rule_matches_rule_id_match_key"),
        **MYSQL,
    )
    op.create_index("ix_rule_matches_rule_id_occurred_at", "rule_matches",
                    ["rule_id", "occurred_at"])
    op.create_table(
        "rule_window_entries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("state_version", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("occurred_at", STAMP, nullable=False),
        sa.Column("number", sa.Double(), nullable=True),
        sa.Column("token", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rule_window_entries"),
        sa.UniqueConstraint("rule_id", "state_version", "source", "event_id",
                            name="uq_rule_window_entries_event"),
        **MYSQL,
    )
    op.create_index("ix_rule_window_entries_group",
                    "rule_window_entries", ["rule_id", "state_version", "fingerprint",
                                            "occurred_at"])
    op.create_table(
        "rule_groups",
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("state_version", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("group_values", sa.JSON(), nullable=False),
        sa.Column("since", STAMP, nullable=False),
        sa.Column("last_seen_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("rule_id", "state_version", "fingerprint",
                                name="pk_rule_groups"),
        **MYSQL,
    )
    op.create_table(
        "rule_failures",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("failed_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rule_failures"),
        sa.UniqueConstraint("rule_id", "source", "event_id",
                            name="uq_rule_failures_rule_id_source_event_id"),
        **MYSQL,
    )
    op.create_index("ix_rule_failures_rule_id_failed_at", "rule_failures",
                    ["rule_id", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_rule_failures_rule_id_failed_at", table_name="rule_failures")
    op.drop_table("rule_failures")
    op.drop_table("rule_groups")
    op.drop_index("ix_rule_window_entries_group",
                  table_name="rule_window_entries")
    op.drop_table("rule_window_entries")
    op.drop_index("ix_rule_matches_rule_id_occurred_at", table_name="rule_matches")
    op.drop_table("rule_matches")
