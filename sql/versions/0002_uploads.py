"""CSV uploads: the upload lifecycle, its processed chunks, and the row origin of events and rejects.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LONG_BLOB = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    for table in ("events", "rejected_items"):
        op.add_column(table, sa.Column("upload_id", sa.String(32), nullable=True))
        op.add_column(table, sa.Column("line", sa.Integer(), nullable=True))
    op.create_index("ix_rejected_items_upload_id_line", "rejected_items", ["upload_id", "line"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_reason", sa.String(1000), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("object_version", sa.String(255), nullable=True),
        sa.Column("object_size", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("header", sa.JSON(), nullable=True),
        sa.Column("chunks_total", sa.Integer(), nullable=True),
        sa.Column("rows_seen", sa.BigInteger(), nullable=True),
        sa.Column("rows_stored", sa.BigInteger(), nullable=True),
        sa.Column("rows_duplicate", sa.BigInteger(), nullable=True),
        sa.Column("rows_rejected", sa.BigInteger(), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("landed_at", STAMP, nullable=True),
        sa.Column("fanout_started_at", STAMP, nullable=True),
        sa.Column("fanout_finished_at", STAMP, nullable=True),
        sa.Column("completed_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
        **MYSQL,
    )
    op.create_index("ix_uploads_created_at_id", "uploads", ["created_at", "id"])
    op.create_index("ix_uploads_source_created_at_id", "uploads", ["source", "created_at", "id"])
    op.create_table(
        "upload_chunks",
        sa.Column("upload_id", sa.String(32), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("first_line", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("rows_seen", sa.Integer(), nullable=False),
        sa.Column("rows_stored", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("raw", LONG_BLOB, nullable=False),
        sa.Column("processed_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("upload_id", "chunk", name="pk_upload_chunks"),
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("upload_chunks")
    op.drop_index("ix_uploads_source_created_at_id", table_name="uploads")
    op.drop_index("ix_uploads_created_at_id", table_name="uploads")
    op.drop_table("uploads")
    op.drop_index("ix_rejected_items_upload_id_line", table_name="rejected_items")
    for table in ("events", "rejected_items"):
        op.drop_column(table, "line")
        op.drop_column(table, "upload_id")
