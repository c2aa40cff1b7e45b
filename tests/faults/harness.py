"""Driving the app as AWS would, in order or in chaos, with faults a test can switch on and off.

``Tripline`` points the app at one database at a time (a fresh container, a fixed clock) and
delivers its queues to the triggers through the Chalice test client. Two ways to deliver:

- :func:`deliver_in_order`: what a quiet day looks like, each message once, in queue order;
- :func:`deliver_chaotically`: every message twice, S3 notifications also duplicated as new
  messages, everything shuffled (seeded), batches made of whatever comes up.

The only wall-clock input the app reads besides its own clock is an S3 notification's
``eventTime`` (moto stamps it with the time of the put): it is pinned to one instant as the
records are handed over, as if both runs' files had landed at the same moment.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from chalicelib import bootstrap
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import metadata
from chalicelib.topology import (
    EVENTS_QUEUE,
    REPORTS_PREFIX,
    REPORTS_QUEUE,
    ROWS_QUEUE,
    UPLOADS_QUEUE,
)
from tests.builders import FixedClock, sqs_event, sqs_record
from tests.functional.helpers import post_events
from tripline.local.pump import Handler, SqsPump

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
S3_EVENT_TIME = "2026-11-22T08:58:00.000Z"
CHUNK_BYTES = 160
KEYS_TABLE = "api_keys"  # the keys the authorizer checks, held in the app's database


@dataclass(frozen=True)
class Trigger:
    queue: str
    function: str
    batch_size: int  # as app.py declares it


EVENTS = Trigger(EVENTS_QUEUE, "process_events", 10)
UPLOADS = Trigger(UPLOADS_QUEUE, "fan_out_uploads", 1)
ROWS = Trigger(ROWS_QUEUE, "process_rows", 4)
REPORTS = Trigger(REPORTS_QUEUE, "generate_reports", 1)


class Tripline:
    """The app on moto, pointed at one database at a time."""

    def __init__(self, client: Any, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
        self.client, self.aws, self._env = client, aws, monkeypatch
        self.sqs, self.s3 = aws["clients"]["sqs"], aws["clients"]["s3"]
        self.clock = FixedClock(NOW)
        self._home: str = aws["database_url"]

    def use(self, database_url: str) -> FixedClock:
        """A new container on ``database_url`` with a fixed clock at ``NOW``, as a cold start;
        the test client's API key is copied there from the first database."""
        if database_url != self._home:
            copy_keys(self._home, database_url)
        self._env.setenv("DATABASE_URL", database_url)
        bootstrap.reset()
        self.clock = FixedClock(NOW)
        bootstrap.container().clock = self.clock  # type: ignore[assignment]
        return self.clock

    @property
    def engine(self) -> Engine:
        return bootstrap.container().engine

    def queue_url(self, queue: str) -> str:
        return str(self.aws["resources"].queue_urls[queue])

    def post(self, items: Sequence[dict[str, Any]]) -> None:
        response = post_events(self.client, {"events": list(items)})
        assert response.status_code == 202, response.body
        statuses = {one["status"] for one in json.loads(response.body)["results"]}
        assert statuses == {"accepted"}, response.body

    def send(self, queue: str, body: str) -> str:
        """A message put on a queue by something other than the API (a redrive, a stray)."""
        return str(
            self.sqs.send_message(QueueUrl=self.queue_url(queue), MessageBody=body)["MessageId"]
        )

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.aws["resources"].bucket, Key=key, Body=body)

    def receive(self, queue: str) -> list[dict[str, Any]]:
        """Everything on ``queue`` as Lambda records with moto's message ids, deleted from it."""
        url, records = self.queue_url(queue), list[dict[str, Any]]()
        while True:
            got = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
            )
            if not got.get("Messages"):
                return records
            for message in got["Messages"]:
                records.append(
                    sqs_record(
                        pin_s3_time(message["Body"]), message_id=message["MessageId"], queue=queue
                    )
                )
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def invoke(self, trigger: Trigger, records: Sequence[dict[str, Any]]) -> list[str]:
        """One invocation with these records; the message ids it handed back."""
        answer = self.client.lambda_.invoke(trigger.function, sqs_event(*records))
        return [item["itemIdentifier"] for item in answer.payload["batchItemFailures"]]

    def tick(self) -> dict[str, Any]:
        event_ = self.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        payload: dict[str, Any] = self.client.lambda_.invoke("tick", event_).payload
        return payload

    def send_digest(self) -> dict[str, Any]:
        """The hourly digest schedule's run at the clock's time."""
        event_ = self.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        payload: dict[str, Any] = self.client.lambda_.invoke("send_digest", event_).payload
        return payload

    def handler(self, trigger: Trigger) -> Handler:
        """The trigger as Lambda calls it, ``(event, context)``, through the test client."""

        def handler(lambda_event: dict[str, Any], context: Any) -> Any:
            for record in lambda_event["Records"]:
                record["body"] = pin_s3_time(record["body"])
            return self.client.lambda_.invoke(trigger.function, lambda_event).payload

        return handler

    def pump(self, trigger: Trigger, handler: Handler | None = None) -> SqsPump:
        """Lambda's event source mapping on the real (moto) queue: a failed record stays on the
        queue and comes back at once; past maxReceiveCount the queue moves it to its DLQ."""
        return SqsPump(
            self.sqs,
            self.queue_url(trigger.queue),
            handler or self.handler(trigger),
            batch_size=trigger.batch_size,
            retry_after_seconds=0,
            wait_seconds=0,
        )

    def visible(self, queue: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url(queue),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
        return sum(int(value) for value in attributes["Attributes"].values())

    def reports(self) -> dict[str, bytes]:
        """Every report object in the bucket, by key; taken away, so the next run writes its own."""
        bucket = self.aws["resources"].bucket
        found = {}
        listed = self.s3.list_objects_v2(Bucket=bucket, Prefix=REPORTS_PREFIX).get("Contents", [])
        for item in listed:
            found[item["Key"]] = self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            self.s3.delete_object(Bucket=bucket, Key=item["Key"])
        return found


def copy_keys(source_url: str, target_url: str) -> None:
    """The API keys of one database into another (both migrated), so one client calls both."""
    table = metadata.tables.get(KEYS_TABLE)
    if table is None:
        return
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        with source.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(select(table))]
        with target.begin() as conn:
            known = set(conn.scalars(select(table.c.id)))
            fresh = [row for row in rows if row["id"] not in known]
            if fresh:
                conn.execute(table.insert(), fresh)
    finally:
        source.dispose()
        target.dispose()


def pin_s3_time(body: str) -> str:
    """An S3 notification with its records' ``eventTime`` set to ``S3_EVENT_TIME``; any other
    body as it was."""
    try:
        message = json.loads(body)
    except ValueError:
        return body
    if not isinstance(message, dict) or not isinstance(message.get("Records"), list):
        return body
    for record in message["Records"]:
        if isinstance(record, dict) and "eventTime" in record:
            record["eventTime"] = S3_EVENT_TIME
    return json.dumps(message)


def deliver_in_order(
    app: Tripline, *triggers: Trigger
) -> list[tuple[Trigger, list[dict[str, Any]]]]:
    """Each queue in turn, each message once, in batches of its trigger's size, until all are
    empty; the batches delivered. Nothing may fail."""
    delivered = []
    while True:
        moved = 0
        for trigger in triggers:
            records = app.receive(trigger.queue)
            for start in range(0, len(records), trigger.batch_size):
                batch = records[start : start + trigger.batch_size]
                assert app.invoke(trigger, batch) == []
                delivered.append((trigger, batch))
            moved += len(records)
        if not moved:
            return delivered


def deliver_chaotically(app: Tripline, rng: random.Random, *triggers: Trigger) -> int:
    """At least once, in any order: every message delivered twice (two receives of one message),
    an S3 notification also sent again as a new message (S3 may notify twice), the lot
    shuffled, and each invocation a batch of whatever comes up for one trigger. Messages that
    deliveries create (chunk tasks) join the pool as they appear. How many deliveries were made;
    nothing may fail."""
    pool: list[tuple[Trigger, dict[str, Any]]] = []
    deliveries = 0
    while True:
        for trigger in triggers:
            for record in app.receive(trigger.queue):
                copies = [record, dict(record, receiptHandle=f"again-{uuid.uuid4()}")]
                if trigger is UPLOADS:
                    resent = dict(record, messageId=str(uuid.uuid4()))
                    copies += [resent, dict(resent)]
                pool += [(trigger, copy) for copy in copies]
        if not pool:
            return deliveries
        rng.shuffle(pool)
        trigger = pool[0][0]
        batch = [one for one in pool if one[0] is trigger][: trigger.batch_size]
        pool = [one for one in pool if not any(one is taken for taken in batch)]
        assert app.invoke(trigger, [record for _, record in batch]) == []
        deliveries += len(batch)


def poll_until_quiet(pumps: Sequence[SqsPump], limit: int = 200) -> int:
    """Poll each pump in turn until a whole round receives nothing; how many rounds received."""
    for rounds in range(limit):
        if not sum(pump.poll_once().received for pump in pumps):
            return rounds
    raise AssertionError(f"the queues were still busy after {limit} rounds")


class DatabaseOutage:
    """Fault injection on an engine: the server goes away at the first statement whose SQL holds
    ``at`` (any statement by default), and every statement fails from then on, as with a
    stopped server, until :meth:`recover`. The error is the driver's own: MySQL's 2013 "Lost
    connection" (which also makes SQLAlchemy drop the pooled connection) or SQLite's disk I/O
    error, so the app sees what a real outage raises."""

    def __init__(self, engine: Engine, *, at: str = "") -> None:
        self._engine, self._at = engine, at
        self.down = False
        self.refused: list[str] = []

    def __enter__(self) -> DatabaseOutage:
        event.listen(self._engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *exc: object) -> None:
        self.recover()

    def recover(self) -> None:
        if event.contains(self._engine, "before_cursor_execute", self._statement):
            event.remove(self._engine, "before_cursor_execute", self._statement)

    def _statement(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        self.down = self.down or self._at in statement
        if self.down:
            self.refused.append(" ".join(statement.split()[:3]))
            raise self._error()

    def _error(self) -> Exception:
        if self._engine.dialect.name == "sqlite":
            import sqlite3

            return sqlite3.OperationalError("disk I/O error")
        import pymysql

        return pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query")


class RefusingEvents:
    """Fault injection: the database refuses (a data error, not an outage) every statement that
    writes one of these event ids, as it would an over-long value; the rest go through."""

    def __init__(self, engine: Engine, event_ids: set[str]) -> None:
        self._engine, self._ids = engine, event_ids
        self.refusals = 0

    def __enter__(self) -> RefusingEvents:
        event.listen(self._engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._statement)

    def _statement(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if not statement.lstrip().upper().startswith("INSERT"):
            return
        rows = parameters if executemany else [parameters]
        # a statement of literal rows (the MySQL write path) carries its values in its text
        written = any(f"'{one}'" in statement for one in self._ids)
        if written or any(value in self._ids for row in rows for value in _values(row)):
            self.refusals += 1
            raise self._error()

    def _error(self) -> Exception:
        if self._engine.dialect.name == "sqlite":
            import sqlite3

            return sqlite3.IntegrityError("CHECK constraint failed: injected refusal")
        import pymysql

        return pymysql.err.DataError(1406, "Data too long for column 'event_id' at row 1")


def _values(row: Any) -> list[Any]:
    if isinstance(row, dict):
        return list(row.values())
    if isinstance(row, list | tuple):
        return list(row)
    return []
