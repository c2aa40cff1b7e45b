"""Threshold windows kept as aggregates per rule state, group and time bucket, not per event.

Every entry of ``rule_window_entries`` is carried over: the entries of one group at one instant
become one bucket row starting at that instant (the application reads a row into the rule's
bucket its start falls in, so rows need not start at a bucket's edge), with their count, sum,
least and greatest number and their latest entry (time, then source, then event id); a distinct
rule's tokens go to ``rule_window_tokens``. Windows that crossed before the upgrade are not
reported again: their matches are keyed by the same event as before.

Downgrade re-creates ``rule_window_entries`` empty (a bucket no longer knows its events), so
windows start afresh after it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GROUP = ("rule_id", "state_version", "fingerprint")

CARRY_BUCKETS = """
INSERT INTO rule_window_buckets (rule_id, state_version, fingerprint, bucket_start, entries,
    numbers, total, low, high, latest_at, latest_source, latest_event_id)
SELECT rule_id, state_version, fingerprint, occurred_at, COUNT(*), COUNT(number),
    COALESCE(SUM(number), 0), MIN(number), MAX(number), occurred_at, MAX(source), ''
FROM rule_window_entries
GROUP BY rule_id, state_version, fingerprint, occurred_at
"""
# The latest entry of an instant is its greatest source, then that source's greatest event id.
CARRY_LATEST = """
UPDATE rule_window_buckets SET latest_event_id = (
    SELECT MAX(entry.event_id) FROM rule_window_entries entry
    WHERE entry.rule_id = rule_window_buckets.rule_id
      AND entry.state_version = rule_window_buckets.state_version
      AND entry.fingerprint = rule_window_buckets.fingerprint
      AND entry.occurred_at = rule_window_buckets.bucket_start
      AND entry.source = rule_window_buckets.latest_source
)
"""
CARRY_TOKENS = """
INSERT INTO rule_window_tokens (rule_id, state_version, fingerprint, bucket_start, token)
SELECT DISTINCT rule_id, state_version, fingerprint, occurred_at, token
FROM rule_window_entries
WHERE token IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "rule_window_buckets",
        *(sa.Column(name, sa.String(size), nullable=False) for name, size in _group_columns()),
        sa.Column("bucket_start", STAMP, nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("numbers", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("latest_at", STAMP, nullable=False),
        sa.Column("latest_source", sa.String(64), nullable=False),
        sa.Column("latest_event_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint(*GROUP, "bucket_start", name="pk_rule_window_buckets"),
        **MYSQL,
    )
    op.create_index(
        "ix_rule_window_buckets_bucket_start", "rule_window_buckets", ["bucket_start"]
    )
    op.create_table(
        "rule_window_tokens",
        *(sa.Column(name, sa.String(size), nullable=False) for name, size in _group_columns()),
        sa.Column("bucket_start", STAMP, nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint(*GROUP, "bucket_start", "token", name="pk_rule_window_tokens"),
        **MYSQL,
    )
    op.create_index("ix_rule_window_tokens_bucket_start", "rule_window_tokens", ["bucket_start"])
    op.execute(CARRY_BUCKETS)
    op.execute(CARRY_LATEST)
    op.execute(CARRY_TOKENS)
    op.drop_index("ix_rule_window_entries_group", table_name="rule_window_entries")
    op.drop_table("rule_window_entries")


def downgrade() -> None:
    op.create_table(
        "rule_window_entries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        *(sa.Column(name, sa.String(size), nullable=False) for name, size in _group_columns()),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("occurred_at", STAMP, nullable=False),
        sa.Column("number", sa.Double(), nullable=True),
        sa.Column("token", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rule_window_entries"),
        sa.UniqueConstraint(
            "rule_id", "state_version", "source", "event_id", name="uq_rule_window_entries_event"
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_rule_window_entries_group",
        "rule_window_entries",
        ["rule_id", "state_version", "fingerprint", "occurred_at"],
    )
    op.drop_index("ix_rule_window_tokens_bucket_start", table_name="rule_window_tokens")
    op.drop_table("rule_window_tokens")
    op.drop_index("ix_rule_window_buckets_bucket_start", table_name="rule_window_buckets")
    op.drop_table("rule_window_buckets")


def _group_columns() -> tuple[tuple[str, int], ...]:
    return (("rule_id", 64), ("state_version", 16), ("fingerprint", 32))
