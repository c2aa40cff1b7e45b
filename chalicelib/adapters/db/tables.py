"""The current schema as SQLAlchemy Core tables; ``sql/versions`` is its history.

A test builds the schema from the migrations on SQLite and MySQL and checks it matches these
tables, so neither can drift. Tables use InnoDB, utf8mb4 and a binary collation on MySQL: event ids
``"A1"`` and ``"a1"`` are different events, and a case-insensitive key would merge them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from chalicelib.adapters.db.types import BigId, LongBlob, LongText, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

metadata = MetaData(naming_convention=NAMING)

raw_events = Table(
    "raw_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("payload", LongText, nullable=False),
    UniqueConstraint("source", "event_id"),
    **MYSQL_OPTIONS,
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("type", String(128), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime, nullable=False),
    Column("data", JSON, nullable=False),
    Column("upload_id", String(32), nullable=True),  # CSV rows: the upload and line they came from
    Column("line", Integer, nullable=True),
    UniqueConstraint("source", "event_id"),
    Index(None, "occurred_at", "id"),
    Index(None, "source", "occurred_at", "id"),
    **MYSQL_OPTIONS,
)

rejected_items = Table(
    "rejected_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item_key", String(255), nullable=False),
    Column("source", String(64), nullable=True),
    Column("event_id", String(128), nullable=True),
    Column("reason", String(255), nullable=False),
    Column("errors", JSON, nullable=False),
    Column("payload", LongText, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("rejected_at", UtcDateTime, nullable=False),
    Column("upload_id", String(32), nullable=True),
    Column("line", Integer, nullable=True),
    UniqueConstraint("item_key"),
    Index(None, "upload_id", "line"),
    Index(None, "rejected_at"),  # KPIs: rejects over a time range
    **MYSQL_OPTIONS,
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String(32), nullable=False),
    Column("source", String(64), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("object_key", String(1024), nullable=False),
    Column("origin", String(16), nullable=False),  # presigned | direct
    Column("status", String(32), nullable=False),
    Column("status_reason", String(1000), nullable=True),
    Column("problems", JSON, nullable=True),  # file-level details: the header, the encoding
    Column("object_version", String(255), nullable=True),  # versionId, sequencer or ETag
    Column("object_size", BigInteger, nullable=True),
    Column("claimed_by", String(128), nullable=True),  # the notification message importing it
    Column("header", JSON, nullable=True),
    Column("chunks_total", Integer, nullable=True),
    Column("rows_seen", BigInteger, nullable=True),  # the final counts, once it has finished
    Column("rows_stored", BigInteger, nullable=True),
    Column("rows_duplicate", BigInteger, nullable=True),
    Column("rows_rejected", BigInteger, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("landed_at", UtcDateTime, nullable=True),
    Column("fanout_started_at", UtcDateTime, nullable=True),
    Column("fanout_finished_at", UtcDateTime, nullable=True),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("object_pin", JSON, nullable=True),  # versionId, sequencer, ETag: what a retry reads
    PrimaryKeyConstraint("id"),
    Index(None, "created_at", "id"),
    Index(None, "source", "created_at", "id"),
    **MYSQL_OPTIONS,
)

upload_chunks = Table(
    "upload_chunks",
    metadata,
    Column("upload_id", String(32), nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("first_line", Integer, nullable=False),
    Column("last_line", Integer, nullable=False),
    Column("rows_seen", Integer, nullable=False),
    Column("rows_stored", Integer, nullable=False),
    Column("rows_duplicate", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("raw", LongBlob, nullable=False),  # the chunk's bytes as the file had them
    Column("processed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("upload_id", "chunk"),
    **MYSQL_OPTIONS,
)

# --- rules: what fired, and the state of window and absence rules --------------------------------

rule_matches = Table(
    "rule_matches",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rule_id", String(64), nullable=False),
    Column("rule_version", String(16), nullable=False),  # the content hash of the rule that fired
    Column("kind", String(16), nullable=False),
    Column("match_key", String(255), nullable=False),  # event:…, window:… or absence:…
    Column("fingerprint", String(32), nullable=False),  # rule and group: the alert's identity
    Column("group_values", JSON, nullable=False),
    Column("source", String(64), nullable=True),
    Column("event_id", String(128), nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("observed", Double, nullable=True),  # the window's aggregate, the seconds of silence
    Column("matched_at", UtcDateTime, nullable=False),
    UniqueConstraint("rule_id", "match_key"),
    Index(None, "rule_id", "occurred_at"),
    Index(None, "occurred_at"),  # KPIs: every rule's matches over a time range
    **MYSQL_OPTIONS,
)

# A threshold window's state: one row per rule state, group and time bucket, its entries added
# up (the rule's ``period`` wide, or an event's own time for rows carried over from per-event
# entries); ``latest_*`` is the bucket's latest entry, which a crossing is reported against.
rule_window_buckets = Table(
    "rule_window_buckets",
    metadata,
    Column("rule_id", String(64), nullable=False),
    Column("state_version", String(16), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("bucket_start", UtcDateTime, nullable=False),
    Column("entries", BigInteger, nullable=False),
    Column("numbers", BigInteger, nullable=False),  # entries with a number: sum, avg, min, max
    Column("total", Double, nullable=False),
    Column("low", Double, nullable=True),
    Column("high", Double, nullable=True),
    Column("latest_at", UtcDateTime, nullable=False),
    Column("latest_source", String(64), nullable=False),
    Column("latest_event_id", String(128), nullable=False),
    PrimaryKeyConstraint("rule_id", "state_version", "fingerprint", "bucket_start"),
    Index(None, "bucket_start"),  # pruning
    **MYSQL_OPTIONS,
)

# The different values a ``distinct`` rule counted, per bucket (each once).
rule_window_tokens = Table(
    "rule_window_tokens",
    metadata,
    Column("rule_id", String(64), nullable=False),
    Column("state_version", String(16), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("bucket_start", UtcDateTime, nullable=False),
    Column("token", String(32), nullable=False),
    PrimaryKeyConstraint("rule_id", "state_version", "fingerprint", "bucket_start", "token"),
    Index(None, "bucket_start"),  # pruning
    **MYSQL_OPTIONS,
)

# One row per group of a threshold or absence rule: writers lock it, so a group's window is
# decided by one transaction at a time; absence rules read its last sighting.
rule_groups = Table(
    "rule_groups",
    metadata,
    Column("rule_id", String(64), nullable=False),
    Column("state_version", String(16), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("group_values", JSON, nullable=False),
    Column("since", UtcDateTime, nullable=False),  # when tracking of this group began
    Column("last_seen_at", UtcDateTime, nullable=True),  # only ever moves forward
    PrimaryKeyConstraint("rule_id", "state_version", "fingerprint"),
    **MYSQL_OPTIONS,
)

rule_failures = Table(
    "rule_failures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rule_id", String(64), nullable=False),
    Column("rule_version", String(16), nullable=False),
    Column("source", String(64), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
    UniqueConstraint("rule_id", "source", "event_id"),
    Index(None, "rule_id", "failed_at"),
    **MYSQL_OPTIONS,
)

# --- alerts: one row per problem, its timeline, the outbox of notifications, silences ------------

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("fingerprint", String(32), nullable=False),  # rule and group
    # the fingerprint while the alert is open or acknowledged, NULL once resolved: at most one
    # active alert per fingerprint, enforced by the database
    Column("active_key", String(32), nullable=True),
    Column("rule_id", String(64), nullable=False),
    Column("rule_version", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("source", String(64), nullable=True),
    Column("group_values", JSON, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # open | acknowledged | resolved
    Column("flapping", Boolean, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),  # event time of the first match
    Column("last_seen_at", UtcDateTime, nullable=False),  # event time of the latest match
    Column("last_matched_at", UtcDateTime, nullable=False),  # when the latest match was recorded
    Column("opened_at", UtcDateTime, nullable=False),
    Column("observed", Double, nullable=True),
    Column("sample_source", String(64), nullable=True),  # the latest matching event
    Column("sample_event_id", String(128), nullable=True),
    Column("clear_since", UtcDateTime, nullable=True),  # its condition has been clear since
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("resolution", String(1000), nullable=True),
    Column("notified_at", UtcDateTime, nullable=True),  # the latest notice queued
    Column("repeats", Integer, nullable=False),
    Column("reminders", Integer, nullable=False),
    Column("owed", Boolean, nullable=False),  # a notice was withheld: the state is owed once
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("active_key"),
    Index(None, "opened_at", "id"),
    Index(None, "status", "opened_at", "id"),
    Index(None, "rule_id", "opened_at", "id"),
    Index(None, "fingerprint", "opened_at"),
    **MYSQL_OPTIONS,
)

# One row per fingerprint ever alerted on: every change to its alerts locks this row first, so
# the processor, the schedule and the API change one fingerprint's alerts one at a time.
alert_fingerprints = Table(
    "alert_fingerprints",
    metadata,
    Column("fingerprint", String(32), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("flapping", Boolean, nullable=False),
    Column("flapping_since", UtcDateTime, nullable=True),
    Column("touched_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("fingerprint"),
    **MYSQL_OPTIONS,
)

alert_timeline = Table(
    "alert_timeline",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alert_id", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False),  # opened, acknowledged, sent, silenced, retried…
    Column("detail", String(1000), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("comment", String(1000), nullable=True),
    Column("outbox_id", BigInteger, nullable=True),
    Index(None, "alert_id", "id"),
    **MYSQL_OPTIONS,
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alert_id", BigInteger, nullable=False),
    Column("transition", String(64), nullable=False),  # opened, resolved, repeat:2, reminder:1…
    Column("kind", String(16), nullable=False),  # opened | repeat | reminder | resolved | flapping
    Column("rule_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | grouped | silenced | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_until", UtcDateTime, nullable=True),  # a notifier holds it until then
    Column("last_error", String(500), nullable=True),
    Column("message_id", String(128), nullable=True),
    Column("silence_id", String(32), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
    UniqueConstraint("alert_id", "transition"),
    Index(None, "status", "next_attempt_at"),
    **MYSQL_OPTIONS,
)

silences = Table(
    "silences",
    metadata,
    Column("id", String(32), nullable=False),
    Column("matchers", JSON, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("recurrence", JSON, nullable=True),  # weekly windows in the silence's time zone
    Column("comment", String(1000), nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column(
        "expired_at", UtcDateTime, nullable=True
    ),  # DELETE ends a silence early; kept as history
    PrimaryKeyConstraint("id"),
    Index(None, "ends_at"),
    **MYSQL_OPTIONS,
)

# --- access: API keys (hashes only) and the audit log ---------------------------------------------

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(16), nullable=False),  # the public part of the key, shown in lists
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),  # ingest | operator | admin
    Column("sources", JSON, nullable=False),  # ingest keys: the sources it may write
    Column("secret_hash", String(64), nullable=False),  # SHA-256 of the secret part, hex
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("id"),
    **MYSQL_OPTIONS,
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),  # the key's name and id, or cli:<user>
    Column("role", String(16), nullable=True),
    Column("action", String(64), nullable=False),  # alert.acknowledged, key.created, ...
    Column("target", String(255), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("origin", String(255), nullable=True),  # the caller's address, or the host of a CLI
    Index(None, "at", "id"),
    **MYSQL_OPTIONS,
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(32), nullable=False),
    Column("kind", String(32), nullable=False),  # events | alerts | uploads | rule-matches | …
    Column("format", String(8), nullable=False),  # csv | xlsx
    Column("params", JSON, nullable=False),  # the request's params, as validated
    Column("sources", JSON, nullable=True),  # the requester's sources; null: every source
    Column("status", String(16), nullable=False),  # queued | running | complete | failed
    Column("requested_by", String(200), nullable=False),
    Column("rows_written", BigInteger, nullable=False),
    Column("rows_expected", BigInteger, nullable=True),  # counted before writing: the progress
    Column("object_key", String(1024), nullable=True),  # the file, once complete
    Column("size_bytes", BigInteger, nullable=True),
    Column("reason", String(1000), nullable=True),  # why it failed
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "created_at", "id"),
    **MYSQL_OPTIONS,
)

digests = Table(
    "digests",
    metadata,
    Column("week", String(8), nullable=False),  # ISO week, 2026-W48: one digest per week
    Column("status", String(16), nullable=False),  # building | sent | failed
    Column("starts_at", UtcDateTime, nullable=False),  # Monday 00:00 in the digest's time zone
    Column("ends_at", UtcDateTime, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("object_key", String(1024), nullable=True),
    Column("headline", JSON, nullable=True),  # the numbers the email's body carries
    Column("message_id", String(128), nullable=True),
    Column("reason", String(1000), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("week"),
    **MYSQL_OPTIONS,
)

# --- replays: stored events run through the current rules as a job in chunks ----------------------

replays = Table(
    "replays",
    metadata,
    Column("id", String(32), nullable=False),
    Column("rules", JSON, nullable=False),  # [{id, version}] replayed
    Column("skipped", JSON, nullable=False),  # [{id, reason}] left out of "all"
    Column("since", UtcDateTime, nullable=False),
    Column("until", UtcDateTime, nullable=False),
    Column("sources", JSON, nullable=True),  # null: every source the rules read
    Column("notify", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | complete | cancelled | …
    Column("reason", String(1000), nullable=True),
    Column("requested_by", String(200), nullable=False),
    Column("events_total", BigInteger, nullable=True),  # counted when it starts: the progress
    Column("events_done", BigInteger, nullable=False),
    Column("matches_written", BigInteger, nullable=False),
    Column("notices", BigInteger, nullable=False),  # queued, or recorded suppressed
    Column("chunks_done", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "created_at", "id"),
    **MYSQL_OPTIONS,
)

# One row per chunk of a replay done, written with its matches: a redelivered chunk writes nothing.
replay_chunks = Table(
    "replay_chunks",
    metadata,
    Column("replay_id", String(32), nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("matches", Integer, nullable=False),
    Column("done_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("replay_id", "chunk"),
    **MYSQL_OPTIONS,
)

# Known errors: one row per failed upload a known error matched, with its remedy's outcome.
known_error_remedies = Table(
    "known_error_remedies",
    metadata,
    Column("upload_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),  # the upload's nth match
    Column("known_error_id", String(64), nullable=False),
    Column("remedy", String(16), nullable=False),  # retry | reread | skip_lines | none
    Column("status", String(16), nullable=False),  # scheduled, succeeded, failed, annotated…
    Column("failure_kind", String(32), nullable=False),
    Column("failure_reason", String(1000), nullable=False),
    Column("options", JSON, nullable=True),  # how the re-import reads the file
    Column("note", String(1000), nullable=False),
    Column("matched_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("upload_id", "seq"),
    Index(None, "known_error_id"),
    **MYSQL_OPTIONS,
)
