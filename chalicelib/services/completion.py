"""Finishing an upload: the reports next to it, then its final status, each at most once.

Whoever notices that every chunk is done (the last chunk's processor, or the fan-out when it
records the count after the chunks already finished) completes the upload. Both may notice at
once: the reports are deterministic (their times come from the stored chunks, not from the clock
of whoever writes them), so writing them twice writes the same bytes, and the status changes only
from ``importing``, so only one of them records it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.errors import Detail
from chalicelib.domain.incidents import UPLOAD_FAILED
from chalicelib.domain.known_errors import UploadFailure
from chalicelib.domain.rules import EventPipeline
from chalicelib.domain.sources import SourceCatalog
from chalicelib.domain.uploads import (
    UploadProgress,
    UploadRecord,
    UploadReport,
    UploadStatus,
    first_errors,
    rejects_csv,
    report_keys,
)
from chalicelib.observability import logger
from chalicelib.ports import (
    ChunkStore,
    Clock,
    EventStore,
    MessageQueue,
    Notifier,
    ObjectStore,
    UploadRemedies,
    UploadStore,
)
from chalicelib.services.incidents import Incidents, upload_failed, upload_imported


@dataclass(frozen=True)
class UploadPorts:
    """The ports the upload flows share (the stores, the bucket, the rows queue, the clock, the
    notifier), with the sources and the rules' pipeline they read rows through."""

    uploads: UploadStore
    chunks: ChunkStore
    events: EventStore
    objects: ObjectStore
    sources: SourceCatalog
    clock: Clock
    rows_queue: MessageQueue
    pipeline: EventPipeline
    notifier: Notifier | None = None
    incidents: Incidents | None = None  # a failed upload opens one; its import resolves it
    remedies: UploadRemedies | None = None  # known errors: a matching failure gets its remedy


def complete_if_done(ports: UploadPorts, upload_id: str, note: str | None = None) -> bool:
    """Write the reports and record the final status if every chunk is done; whether it did."""
    upload = ports.uploads.get(upload_id)
    if upload is None or upload.status != UploadStatus.IMPORTING or upload.chunks_total is None:
        return False
    progress = ports.uploads.progress(upload_id)
    if progress.chunks_done < upload.chunks_total:
        return False
    status = UploadStatus.COMPLETE_WITH_ERRORS if progress.rows_rejected else UploadStatus.COMPLETE
    completed_at = max(
        filter(None, (progress.last_processed_at, upload.fanout_finished_at, upload.landed_at)),
        default=ports.clock.now(),
    )
    finished = _finished(upload, status, note, completed_at)
    _write_reports(ports, finished, progress)
    finished_now = ports.uploads.finish(upload_id, status, progress, note, completed_at)
    if ports.remedies is not None:  # before the incidents: it resolves them saying the remedy
        ports.remedies.upload_completed(finished)
    if ports.incidents is not None:  # a retried upload: also when another finisher crashed
        upload_imported(ports.incidents, upload_id, status)
    if finished_now:
        logger().info(
            "upload complete",
            extra={
                "upload_id": upload_id,
                "source": upload.source,
                "status": status,
                **progress.counts(),
            },
        )
    return True


def fail_upload(
    ports: UploadPorts,
    upload: UploadRecord,
    reason: str,
    problems: Sequence[Detail],
    *,
    incident: str = UPLOAD_FAILED,
    where: str | None = None,
    kind: str = "other",
) -> None:
    """Record why the file as a whole cannot be imported, open its ``incident`` (``where``:
    the place, when the problems do not name it), and say so in ``report.json``; then the
    known errors are told, as a failure of ``kind`` (``domain.known_errors.FAILURE_KINDS``),
    by the call that failed it only (a failure noticed twice is remedied once)."""
    now = ports.clock.now()
    failed_now = ports.uploads.fail(upload.id, reason, problems, now)
    _open_incident(ports, upload, problems, incident, where)
    logger().warning(
        "upload failed", extra={"upload_id": upload.id, "source": upload.source, "reason": reason}
    )
    failed = _finished(upload, UploadStatus.FAILED, reason, now, problems=tuple(problems))
    _, report_key = report_keys(upload.source, upload.id)
    report = _report(failed, UploadProgress(), [], include_rejects=False)
    ports.objects.put_text(report_key, [_json(report)], "application/json")
    if failed_now and ports.remedies is not None:
        messages = tuple(detail.message for detail in problems)
        failure = UploadFailure(kind, upload.source, reason, messages)
        ports.remedies.upload_failed(upload, failure, incident)


def _open_incident(
    ports: UploadPorts,
    upload: UploadRecord,
    problems: Sequence[Detail],
    incident: str,
    where: str | None,
) -> None:
    """Only for an upload that is failed now, with the reason it failed for first: a late
    redelivery of a failure must not reopen an upload a retry has imported since."""
    if ports.incidents is None:
        return
    stored = ports.uploads.get(upload.id)
    if stored is None or stored.status != UploadStatus.FAILED:
        return
    reason = stored.status_reason or ""
    upload_failed(ports.incidents, stored, reason, stored.problems or problems, incident, where)


def _finished(
    upload: UploadRecord,
    status: str,
    reason: str | None,
    at: datetime,
    problems: tuple[Detail, ...] = (),
) -> UploadRecord:
    return replace(
        upload,
        status=status,
        status_reason=reason,
        completed_at=at,
        problems=problems or upload.problems,
    )


def _write_reports(ports: UploadPorts, upload: UploadRecord, progress: UploadProgress) -> None:
    rejects_key, report_key = report_keys(upload.source, upload.id)
    definition = ports.sources.get(upload.source)
    delimiter = definition.delimiter if definition is not None else ","
    header = list(upload.header or ())
    ports.objects.put_text(
        rejects_key,
        rejects_csv(header, ports.uploads.rejected_rows(upload.id), delimiter),
        "text/csv; charset=utf-8",
    )
    errors = first_errors(ports.uploads.rejected_rows(upload.id))
    ports.objects.put_text(
        report_key, [_json(_report(upload, progress, errors))], "application/json"
    )


def _report(
    upload: UploadRecord,
    progress: UploadProgress,
    errors: list[dict[str, object]],
    include_rejects: bool = True,
) -> UploadReport:
    rejects_key, report_key = report_keys(upload.source, upload.id)
    return UploadReport(
        upload_id=upload.id,
        source=upload.source,
        filename=upload.filename,
        key=upload.key,
        status=upload.status,
        reason=upload.status_reason,
        rows=progress.counts(),
        chunks=upload.chunks_total or 0,
        timings={
            "created_at": upload.created_at,
            "landed_at": upload.landed_at,
            "fanout_started_at": upload.fanout_started_at,
            "fanout_finished_at": upload.fanout_finished_at,
            "completed_at": upload.completed_at,
        },
        first_errors=errors,
        problems=[detail.as_dict() for detail in upload.problems],
        reports={"report_json": report_key}
        | ({"rejects_csv": rejects_key} if include_rejects else {}),
    )


def _json(report: UploadReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
