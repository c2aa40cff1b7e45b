"""Operations: pipeline incidents, known errors, replays.

Each part's tables are created and dropped by its own pair of functions below, in the order the
parts were added; ``upgrade`` runs them in that order and ``downgrade`` in reverse.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# --- incidents (SECTION OWNED BY THE INCIDENTS WORK) -------------------------------------------
def _incidents_up() -> None:
    # how the fan-out read the object (versionId, sequencer, ETag): POST /uploads/{id}/retry
    # reads that same version again, not whatever the key holds now
    op.add_column("uploads", sa.Column("object_pin", sa.JSON(), nullable=True))


def _incidents_down() -> None:
    op.drop_column("uploads", "object_pin")


# --- known errors (SECTION OWNED BY THE KNOWN-ERRORS WORK) -------------------------------------
def _known_errors_up() -> None:
    # One row per failure a known error matched: (upload, seq) is the upload's nth match, so a
    # failure recorded twice is one row; status says whether its remedy ran and worked.
    op.create_table(
        "known_error_remedies",
        sa.Column("upload_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("known_error_id", sa.String(64), nullable=False),
        sa.Column("remedy", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_kind", sa.String(32), nullable=False),
        sa.Column("failure_reason", sa.String(1000), nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("matched_at", STAMP, nullable=False),
        sa.Column("settled_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("upload_id", "seq", name="pk_known_error_remedies"),
        **MYSQL,
    )
    op.create_index(
        "ix_known_error_remedies_known_error_id",
        "known_error_remedies",
        ["known_error_id"],
    )


def _known_errors_down() -> None:
    op.drop_index("ix_known_error_remedies_known_error_id", table_name="known_error_remedies")
    op.drop_table("known_error_remedies")


# --- replays (SECTION OWNED BY THE REPLAY WORK) -------------------------------------------------
def _replays_up() -> None:
    # A replay job: the request, its status and progress (events done of total), what it wrote.
    op.create_table(
        "replays",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),  # [{id, version}] replayed
        sa.Column("skipped", sa.JSON(), nullable=False),  # [{id, reason}] left out of "all"
        sa.Column("since", STAMP, nullable=False),
        sa.Column("until", STAMP, nullable=False),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("events_total", sa.BigInteger(), nullable=True),
        sa.Column("events_done", sa.BigInteger(), nullable=False),
        sa.Column("matches_written", sa.BigInteger(), nullable=False),
        sa.Column("notices", sa.BigInteger(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("started_at", STAMP, nullable=True),
        sa.Column("finished_at", STAMP, nullable=True),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_replays"),
        **MYSQL,
    )
    op.create_index("ix_replays_created_at_id", "replays", ["created_at", "id"])
    # One row per chunk done: a redelivered chunk finds its row and writes nothing again.
    op.create_table(
        "replay_chunks",
        sa.Column("replay_id", sa.String(32), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("done_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("replay_id", "chunk", name="pk_replay_chunks"),
        **MYSQL,
    )


def _replays_down() -> None:
    op.drop_table("replay_chunks")
    op.drop_index("ix_replays_created_at_id", table_name="replays")
    op.drop_table("replays")


def upgrade() -> None:
    _incidents_up()
    _known_errors_up()
    _replays_up()


def downgrade() -> None:
    _replays_down()
    _known_errors_down()
    _incidents_down()
