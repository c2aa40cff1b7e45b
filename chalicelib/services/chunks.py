"""process_chunks: chunk tasks from the rows queue to stored events and rejected rows.

Each task names a byte range of an uploaded object. The processor reads that range (pinned to the
version the fan-out read), turns each row into an event through the source's definition, and
stores events, rejected rows and the chunk's own record in one transaction keyed by
``(upload id, chunk)``: a redelivered chunk is seen as done before S3 is even read, and two
processors racing on one chunk still store each row once. Then it completes the upload if this
was the last chunk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from chalicelib.domain.errors import DependencyError, ObjectUnavailable, TriplineError
from chalicelib.domain.events import RejectedItem, RowEvent
from chalicelib.domain.incidents import CHUNK_EXHAUSTED
from chalicelib.domain.messages import QueueMessage
from chalicelib.domain.sources import match_header
from chalicelib.domain.uploads import (
    ChunkRecord,
    ChunkTask,
    CsvFormat,
    RowReader,
    RowRejection,
    read_records,
)
from chalicelib.observability import logger
from chalicelib.services.completion import UploadPorts, complete_if_done, fail_upload
from chalicelib.services.notifications import notify_now
from chalicelib.services.storing import store_events, store_rows


@dataclass(frozen=True)
class ChunkSettings:
    max_record_bytes: int
    max_row_bytes: int
    max_receive_count: int


@dataclass
class ChunkOutcome:
    chunks_done: int = 0
    chunks_skipped: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    matched: int = 0
    failure_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def failed_message_ids(self) -> list[str]:
        return list(self.failure_reasons)


def process_chunks(
    messages: Sequence[QueueMessage], *, ports: UploadPorts, settings: ChunkSettings
) -> ChunkOutcome:
    """Each chunk in its own transaction; a database outage hands back the rest of the batch."""
    outcome = ChunkOutcome()
    for position, message in enumerate(messages):
        try:
            _process(message, ports, settings, outcome)
        except DependencyError as exc:
            _give_up_if_last(message, exc, ports, settings)
            for left in messages[position:]:
                outcome.failure_reasons[left.message_id] = str(exc)
            break
        except TriplineError as exc:
            _give_up_if_last(message, exc, ports, settings)
            outcome.failure_reasons[message.message_id] = str(exc)
    return outcome


def _give_up_if_last(
    message: QueueMessage, error: TriplineError, ports: UploadPorts, settings: ChunkSettings
) -> None:
    """On the last delivery before the DLQ, say so on the upload instead of leaving it importing.

    Best effort: when the database is what failed, this fails too, and the chunk's place in the
    DLQ is the record. Redriving it later still completes the upload's rows, idempotently.
    """
    if message.receive_count < settings.max_receive_count:
        return
    try:
        task = ChunkTask.decode(message.body)
        upload = ports.uploads.get(task.upload_id)
        if upload is not None:
            fail_upload(
                ports,
                upload,
                f"chunk {task.chunk} (lines from {task.first_line}) "
                f"failed {message.receive_count} times and went to the dead-letter "
                f"queue: {error}",
                [],
                incident=CHUNK_EXHAUSTED,
                kind="dependency",
                where=f"chunk {task.chunk} ({task.rows} rows from line {task.first_line})",
            )
    except (ValueError, TriplineError):
        logger().warning(
            "could not mark the upload failed", extra={"message_id": message.message_id}
        )


def _process(
    message: QueueMessage, ports: UploadPorts, settings: ChunkSettings, outcome: ChunkOutcome
) -> None:
    try:
        task = ChunkTask.decode(message.body)
    except ValueError as exc:
        _reject_message(message, str(exc), ports)
        return
    if ports.chunks.is_done(task.upload_id, task.chunk):
        outcome.chunks_skipped += 1
        complete_if_done(ports, task.upload_id)
        return
    try:
        chunk, rows, rejected = _read_chunk(task, ports, settings)
    except ObjectUnavailable as exc:
        upload = ports.uploads.get(task.upload_id)
        if upload is not None:
            fail_upload(ports, upload, str(exc), [], kind="object")
        return
    if chunk is None:
        return
    rows = [_prepared(row, ports) for row in rows]
    verdicts = ports.pipeline.judge((row.event for row in rows), ports.clock.now())
    # stamped as its rows are stored, not as they were read: the upload's completion time is
    # its last chunk's, and a chunk's reading and judging take seconds
    chunk = replace(chunk, processed_at=ports.clock.now())
    with ports.chunks.unit_of_work() as work:
        stored = store_rows(work, chunk, rows, rejected, verdicts)
    outcome.chunks_done += 1
    outcome.matched += stored.matched
    if stored.notices and ports.notifier is not None:
        notify_now(ports.notifier)
    outcome.rows_stored += stored.stored
    outcome.rows_duplicate += stored.duplicates
    outcome.rows_rejected += len(rejected)
    complete_if_done(ports, task.upload_id)


def _read_chunk(
    task: ChunkTask, ports: UploadPorts, settings: ChunkSettings
) -> tuple[ChunkRecord | None, list[RowEvent], list[RejectedItem]]:
    definition = ports.sources.get(task.source)
    upload = ports.uploads.get(task.upload_id)
    if definition is None or upload is None:
        if upload is not None:
            reason = f"source {task.source!r} is no longer declared"
            fail_upload(ports, upload, reason, [], kind="source")
        return None, [], []
    if task.encoding or task.delimiter:  # a re-import reads the file as a remedy said
        definition = replace(
            definition,
            encoding=task.encoding or definition.encoding,
            delimiter=task.delimiter or definition.delimiter,
        )
    match = match_header(definition, task.header)
    if isinstance(match, list):  # the definition changed since the fan-out checked the header
        reason = f"the header no longer fits source {task.source!r}"
        fail_upload(ports, upload, reason, match, kind="header")
        return None, [], []
    raw = ports.objects.read_range(
        task.key, version_id=task.version_id, etag=task.etag, start=task.start, end=task.end
    )
    fmt = CsvFormat(definition.delimiter, definition.encoding, settings.max_record_bytes)
    records, clean = read_records(raw, task.first_line, fmt)
    reader = RowReader(definition, match, len(task.header), task.landed_at, settings.max_row_bytes)
    read = reader.read(records, clean)
    now = ports.clock.now()
    rows = [RowEvent(event, task.upload_id, line) for line, event in read.events]
    rejected = [_rejected_item(task, one) for one in read.rejections]
    last_line = records[-1].line if records else task.first_line
    chunk = ChunkRecord(
        task.upload_id,
        task.chunk,
        task.first_line,
        last_line,
        len(records),
        0,
        0,
        len(rejected),
        raw,
        now,
    )
    return chunk, rows, rejected


def _prepared(row: RowEvent, ports: UploadPorts) -> RowEvent:
    """A row's event with its source's derived and looked-up fields (its cells were read
    through the source's columns already, so there is nothing to conform)."""
    event = ports.pipeline.enrich(row.event)
    return row if event is row.event else RowEvent(event, row.upload_id, row.line)


def _rejected_item(task: ChunkTask, rejection: RowRejection) -> RejectedItem:
    return RejectedItem(
        item_key=f"upload:{task.upload_id}:{rejection.line}",
        reason="invalid row",
        errors=rejection.errors,
        payload=json.dumps(rejection.cells, ensure_ascii=False),
        received_at=task.landed_at,
        source=task.source,
        event_id=rejection.event_id,
        upload_id=task.upload_id,
        line=rejection.line,
    )


def _reject_message(message: QueueMessage, reason: str, ports: UploadPorts) -> None:
    """A message that is no chunk task is kept as a rejected item, not looped or dropped."""
    logger().warning(
        "not a chunk task; recorded as rejected",
        extra={"message_id": message.message_id, "reason": reason},
    )
    item = RejectedItem(
        item_key=f"sqs:{message.message_id}",
        reason=f"not a chunk task: {reason}",
        errors=(),
        payload=message.body,
        received_at=ports.clock.now(),
    )
    with ports.events.unit_of_work() as work:
        store_events(work, [], [item], None, ports.clock.now())
