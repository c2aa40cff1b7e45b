"""fan_out_csv: an object that landed under ``incoming/`` to chunk tasks on the rows queue.

The object is streamed once, never held: the header is checked first (a file whose columns do not
fit its source fails at once, naming them), then the records are cut into byte ranges of whole
records, each sent as a chunk task as soon as it is found, so processors start while the scan goes
on. The number of chunks is recorded last; whichever finishes last, the fan-out or the final chunk,
completes the upload.

Idempotency: an upload is claimed by one notification message for one object version. A duplicate
notification (another message, same version) finds it claimed and does nothing; a redelivery of
the claiming message (the function died half-way) redoes the scan and resends every chunk, which
the processors then recognise as done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from chalicelib.domain.errors import (
    DependencyError,
    Detail,
    ObjectUnavailable,
    StorageError,
)
from chalicelib.domain.known_errors import ReadOptions
from chalicelib.domain.messages import OutgoingMessage, QueueMessage
from chalicelib.domain.sources import SourceDefinition, match_header
from chalicelib.domain.uploads import (
    ChunkSpan,
    ChunkTask,
    CsvFormat,
    CsvScanner,
    Header,
    LandedObject,
    MalformedFile,
    NotANotification,
    Origin,
    UploadRecord,
    UploadStatus,
    direct_upload_id,
    landed_objects,
    parse_incoming_key,
    source_problem,
)
from chalicelib.observability import logger
from chalicelib.ports import MessageQueue
from chalicelib.services.completion import UploadPorts, complete_if_done, fail_upload

SEND_BATCH = 10


@dataclass(frozen=True)
class FanOutSettings:
    bucket: str
    chunk_bytes: int
    max_record_bytes: int
    max_receive_count: int
    max_columns: int = 500
    max_rows: int = 10_000_000


class TooManyRows(Exception):
    """The scan passed the rows limit; ``chunks`` and ``rows`` were sent before it did."""

    def __init__(self, chunks: int, rows: int, line: int) -> None:
        super().__init__(f"more rows than allowed, from line {line}")
        self.chunks, self.rows, self.line = chunks, rows, line


@dataclass
class FanOutOutcome:
    uploads_started: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    failure_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def failed_message_ids(self) -> list[str]:
        return list(self.failure_reasons)


def fan_out_uploads(
    messages: Sequence[QueueMessage], *, ports: UploadPorts, settings: FanOutSettings
) -> FanOutOutcome:
    """Each notification message on its own: one object's outage never holds back another's."""
    outcome = FanOutOutcome()
    for message in messages:
        try:
            objects = landed_objects(message.body)
        except NotANotification as exc:
            logger().warning(
                "not an S3 notification; dropped",
                extra={"message_id": message.message_id, "error": str(exc)},
            )
            outcome.ignored.append(message.message_id)
            continue
        for landed in objects:
            try:
                started = _import(landed, message, ports, settings)
            except (DependencyError, StorageError) as exc:
                outcome.failure_reasons[message.message_id] = str(exc)
                break
            (outcome.uploads_started if started else outcome.ignored).append(started or landed.key)
    return outcome


def _import(
    landed: LandedObject, message: QueueMessage, ports: UploadPorts, settings: FanOutSettings
) -> str | None:
    """The upload id this message imported, or ``None`` when it had nothing to do."""
    if landed.bucket != settings.bucket:
        logger().warning(
            "notification for another bucket; ignored", extra={"bucket": landed.bucket}
        )
        return None
    upload = _upload_for(landed, ports)
    if upload is None:
        return None
    if not ports.uploads.claim(
        upload.id,
        identity=landed.identity,
        size=landed.size,
        landed_at=landed.landed_at,
        message_id=message.message_id,
        at=ports.clock.now(),
        pin={"version_id": landed.version_id, "sequencer": landed.sequencer, "etag": landed.etag},
    ):
        logger().info(
            "upload already claimed; duplicate notification ignored",
            extra={"upload_id": upload.id, "source": upload.source, "key": landed.key},
        )
        return None
    # a known error's remedy may have asked for this import to read the file another way
    options = ports.remedies.read_options(upload.id) if ports.remedies else ReadOptions()
    try:
        _scan_and_send(upload, landed, ports, settings, options)
    except ObjectUnavailable as exc:
        fail_upload(ports, upload, str(exc), [], kind="object")
    except (DependencyError, StorageError) as exc:
        if message.receive_count >= settings.max_receive_count:
            reason = f"gave up after {message.receive_count} attempts: {exc}"
            fail_upload(ports, upload, reason, [], kind="dependency")
        raise
    return upload.id


def _upload_for(landed: LandedObject, ports: UploadPorts) -> UploadRecord | None:
    """The granted upload the key names, or a direct drop's upload (created once, by identity)."""
    where = parse_incoming_key(landed.key)
    if where is None:
        logger().info("not an upload key; ignored", extra={"key": landed.key})
        return None
    uploads = ports.uploads
    if where.upload_id is not None:
        granted = uploads.get(where.upload_id)
        if (
            granted is not None
            and granted.key == landed.key
            and (
                granted.status == UploadStatus.AWAITING_UPLOAD
                or granted.object_version == landed.identity
            )
        ):
            return granted
    direct = UploadRecord(
        id=direct_upload_id(landed.key, landed.identity),
        source=where.source[:64],
        filename=where.filename[:255],
        key=landed.key,
        origin=Origin.DIRECT,
        status=UploadStatus.AWAITING_UPLOAD,
        created_at=landed.landed_at,
    )
    uploads.add(direct)
    return uploads.get(direct.id)


def _scan_and_send(
    upload: UploadRecord,
    landed: LandedObject,
    ports: UploadPorts,
    settings: FanOutSettings,
    options: ReadOptions,
) -> None:
    definition = _definition(upload, ports)
    if definition is None:
        return
    definition = replace(
        definition,
        encoding=options.encoding or definition.encoding,
        delimiter=options.delimiter or definition.delimiter,
    )
    fmt = CsvFormat(
        definition.delimiter, definition.encoding, settings.max_record_bytes, options.skip_lines
    )
    blocks = ports.objects.blocks(landed.key, version_id=landed.version_id, etag=landed.etag)
    scanner = CsvScanner(blocks, fmt)
    try:
        header = scanner.header()
        if header is None:
            _finish_scan(upload, ports, 0, 0, "the file is empty")
            return
        if not _header_fits(upload, header, definition, ports, fmt, settings.max_columns):
            return
        ports.uploads.record_header(upload.id, header.cells)
        spans = scanner.chunks(settings.chunk_bytes)
        chunks, rows = _send_chunks(
            upload, landed, header, spans, ports, settings.max_rows, options
        )
    except TooManyRows as exc:
        _too_many_rows(upload, ports, exc, settings.max_rows)
        return
    except MalformedFile as exc:
        fail_upload(
            ports,
            upload,
            f"the file cannot be read as CSV: {exc.message}",
            [Detail(exc.message, line=exc.line)],
            kind="malformed",
        )
        return
    note = "the file has a header and no rows" if rows == 0 else None
    _finish_scan(upload, ports, chunks, rows, note)


def _definition(upload: UploadRecord, ports: UploadPorts) -> SourceDefinition | None:
    problem = source_problem(upload.source)
    definition = None if problem else ports.sources.get(upload.source)
    if definition is None:
        reason = problem or (
            f"no source {upload.source!r}: declare it in "
            f"rules/sources/{upload.source}.yaml and upload the file again"
        )
        named = Detail(reason, field="source", value=upload.source)
        fail_upload(ports, upload, reason, [named], kind="source")
    return definition


def _header_fits(
    upload: UploadRecord,
    header: Header,
    definition: SourceDefinition,
    ports: UploadPorts,
    fmt: CsvFormat,
    max_columns: int,
) -> bool:
    if len(header.cells) > max_columns:
        reason = f"the header has {len(header.cells)} columns; the limit is {max_columns}"
        fail_upload(ports, upload, reason, [Detail(reason, line=1)], kind="header")
        return False
    if any("\udc80" <= ch <= "\udcff" for cell in header.cells for ch in cell):
        fail_upload(
            ports,
            upload,
            f"the header is not valid {fmt.encoding}",
            [Detail(f"not valid {fmt.encoding}; declare encoding: in the source", line=1)],
            kind="encoding",
        )
        return False
    matched = match_header(definition, header.cells)
    if isinstance(matched, list):
        reason = f"the header does not fit source {definition.source!r}"
        fail_upload(ports, upload, reason, matched, kind="header")
        return False
    return True


def _send_chunks(
    upload: UploadRecord,
    landed: LandedObject,
    header: Header,
    spans: Iterable[ChunkSpan],
    ports: UploadPorts,
    max_rows: int,
    options: ReadOptions,
) -> tuple[int, int]:
    """Send tasks ten at a time as the scan finds them; a task SQS will not take fails the run,
    and the first chunk that would pass ``max_rows`` stops it (``TooManyRows``)."""
    queue = ports.rows_queue
    pending: list[OutgoingMessage] = []
    chunks = rows = 0
    for span in spans:
        if rows + span.rows > max_rows:
            _send(queue, pending)
            raise TooManyRows(chunks, rows, span.first_line)
        task = ChunkTask(
            upload.id,
            upload.source,
            landed.key,
            landed.version_id,
            landed.etag,
            span.number,
            span.start,
            span.end,
            span.first_line,
            span.rows,
            tuple(header.cells),
            landed.landed_at,
            options.encoding,
            options.delimiter,
        )
        pending.append(OutgoingMessage(str(span.number), task.encode()))
        chunks, rows = chunks + 1, rows + span.rows
        if len(pending) == SEND_BATCH:
            _send(queue, pending)
            pending = []
    _send(queue, pending)
    return chunks, rows


def _too_many_rows(
    upload: UploadRecord, ports: UploadPorts, exc: TooManyRows, max_rows: int
) -> None:
    """The file fails, saying how far it was imported: the chunks sent before the limit are
    whole, valid rows, and they are stored (a streaming import cannot take them back)."""
    imported = (
        f"lines up to {exc.line - 1} ({exc.rows} rows) were imported"
        if exc.rows
        else "nothing was imported"
    )
    reason = (
        f"the file has more than {max_rows} rows (TRIPLINE_CSV_MAX_ROWS); {imported}, "
        f"the rest from line {exc.line} was not: split the file"
    )
    fail_upload(ports, upload, reason, [Detail(reason, line=exc.line)], kind="too_many_rows")
    ports.uploads.finish_fanout(upload.id, exc.chunks, exc.rows, ports.clock.now())


def _send(queue: MessageQueue, messages: list[OutgoingMessage]) -> None:
    if not messages:
        return
    receipts = queue.send(messages)
    refused = [receipt for receipt in receipts if not receipt.queued]
    if refused:
        raise DependencyError(
            f"the rows queue took {len(receipts) - len(refused)} of "
            f"{len(receipts)} chunk tasks: {refused[0].error}"
        )


def _finish_scan(
    upload: UploadRecord, ports: UploadPorts, chunks: int, rows: int, note: str | None
) -> None:
    ports.uploads.finish_fanout(upload.id, chunks, rows, ports.clock.now())
    complete_if_done(ports, upload.id, note=note)
