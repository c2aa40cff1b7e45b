"""The AWS resources Tripline runs on, by name: one list for app.py, the local runtime and infra/.

Chalice binds SQS triggers to queue names when it imports ``app.py`` (before any configuration is
read), so the names are constants. One stage per account and region keeps them from colliding; a
test checks ``infra/`` declares exactly these queues with these redrive settings.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENTS_QUEUE = "tripline-events"
UPLOADS_QUEUE = "tripline-uploads"  # S3 ObjectCreated notifications for incoming/
ROWS_QUEUE = "tripline-rows"  # CSV chunks: byte ranges of an uploaded object
REPORTS_QUEUE = "tripline-reports"  # ids of requested reports
REPLAYS_QUEUE = "tripline-replays"  # chunks of replays: a job's id and where its next page starts
INCOMING_PREFIX = "incoming/"
REPORTS_PREFIX = "reports/"


@dataclass(frozen=True)
class QueueSpec:
    name: str
    dead_letter_queue: str
    max_receive_count: int
    visibility_timeout_seconds: int


QUEUES: tuple[QueueSpec, ...] = (
    # Each visibility timeout is six times its consumer's timeout, as AWS advises for SQS event
    # sources: process_events 30 s, fan_out_uploads 900 s (a 1 GiB file), process_rows 60 s.
    # A failed message comes back sooner, after its backoff (domain.retries); ten deliveries with
    # the default backoff cover a database outage of about half an hour.
    QueueSpec(
        EVENTS_QUEUE, f"{EVENTS_QUEUE}-dlq", max_receive_count=10, visibility_timeout_seconds=180
    ),
    QueueSpec(
        UPLOADS_QUEUE, f"{UPLOADS_QUEUE}-dlq", max_receive_count=10, visibility_timeout_seconds=5400
    ),
    QueueSpec(
        ROWS_QUEUE, f"{ROWS_QUEUE}-dlq", max_receive_count=10, visibility_timeout_seconds=360
    ),
    # generate_reports 900 s. A report is attempted at most three times (domain.reports); a
    # delivery that cannot reach the database takes no attempt, so ten cover an outage as above.
    QueueSpec(
        REPORTS_QUEUE, f"{REPORTS_QUEUE}-dlq", max_receive_count=10, visibility_timeout_seconds=5400
    ),
    # run_replays 300 s (a chunk of 5,000 events). A chunk the database refused fails its job;
    # one that cannot reach it is delivered again, ten times as above.
    QueueSpec(
        REPLAYS_QUEUE, f"{REPLAYS_QUEUE}-dlq", max_receive_count=10, visibility_timeout_seconds=1800
    ),
)
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
BUCKET = "tripline-data"
ALERTS_TOPIC = "tripline-alerts"
DIGESTS_TOPIC = "tripline-digests"  # the weekly digest: managers, not on-call
