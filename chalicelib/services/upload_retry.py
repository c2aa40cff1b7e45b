"""retry_upload: ``POST /uploads/{id}/retry``, a failed upload imported again, exactly once.

The retry does what the object's landing did: it sends the object's S3 notification again
(``ObjectCreated:Retry``, the same key and the version the fan-out read first) to the uploads
queue, and the fan-out claims and imports it as it would a fresh notification. Before that, the
upload moves ``failed`` → ``awaiting_upload`` in one conditional update, so of two retries at
once one wins and the other is told why not (409), and a retry of an upload that is importing
or complete is a 409 saying so. Rows and chunks stored before the failure are keyed (by line
and by chunk), so the new import stores only what is missing; the upload's incidents resolve
when it completes (``completion.complete_if_done``), and their timelines say who asked.

When the notification cannot be queued the upload is failed again, saying so, and the caller
gets the queue's error (503): asking again is safe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from urllib.parse import quote_plus

from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict, DependencyError, Detail, NotFound
from chalicelib.domain.messages import OutgoingMessage
from chalicelib.domain.uploads import LandedObject, UploadRecord, UploadStatus, upload_view
from chalicelib.ports import Clock, MessageQueue, UploadStore
from chalicelib.services.incidents import UPLOAD_KINDS, Incidents

WHY_NOT = {
    UploadStatus.AWAITING_UPLOAD: "its file has not landed yet, or a retry is queued already: "
    "it imports when the notification arrives",
    UploadStatus.IMPORTING: "it is importing now (a retry or its first import): wait for it",
    UploadStatus.COMPLETE: "it is complete: there is nothing to retry",
    UploadStatus.COMPLETE_WITH_ERRORS: "it is complete; its rejected rows are in rejects.csv: "
    "fix them and upload them as a new file",
}


@dataclass(frozen=True)
class RetryPorts:
    uploads: UploadStore
    uploads_queue: MessageQueue  # the S3 notifications' queue, which the fan-out reads
    incidents: Incidents
    clock: Clock
    bucket: str


def retry_upload(upload_id: str, *, ports: RetryPorts, caller: Principal) -> dict[str, Any]:
    """Queue the failed upload's import again; the upload as it is now (``awaiting_upload``)."""
    number = upload_id.strip().lower()
    upload = ports.uploads.get(number)
    if upload is None or not caller.may_read(upload.source):
        raise NotFound(
            f"no upload {upload_id!r}", [Detail("not found", field="upload_id", value=upload_id)]
        )
    if upload.status != UploadStatus.FAILED or upload.landed_at is None:
        raise _refused(upload)
    landed = _landed(upload, ports)
    now = ports.clock.now()
    asked = f"retry asked by {caller.actor} at {now.astimezone(UTC).isoformat()}"
    if not ports.uploads.reopen(upload.id, f"{asked}; the import starts when it is queued"):
        raise _refused(ports.uploads.get(upload.id) or upload)
    _send(ports, upload, landed, asked)
    for kind in UPLOAD_KINDS:
        ports.incidents.note_incident(
            kind, upload.id, f"{asked}: the file is imported again", what="retry"
        )
    again = ports.uploads.get(upload.id) or upload
    return upload_view(again, ports.uploads.progress(upload.id)) | {
        "retry": {"asked_by": caller.actor, "asked_at": now.isoformat()}
    }


def retry_notification(landed: LandedObject) -> str:
    """The S3 event notification the fan-out reads (``domain.uploads.landed_objects``), for an
    object that landed before."""
    obj: dict[str, Any] = {"key": quote_plus(landed.key), "size": landed.size}
    for name, value in (
        ("eTag", landed.etag),
        ("versionId", landed.version_id),
        ("sequencer", landed.sequencer),
    ):
        if value is not None:
            obj[name] = value
    record = {
        "eventSource": "tripline:retry",
        "eventName": "ObjectCreated:Retry",
        "eventTime": landed.landed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "s3": {"bucket": {"name": landed.bucket}, "object": obj},
    }
    return json.dumps({"Records": [record]})


def _landed(upload: UploadRecord, ports: RetryPorts) -> LandedObject:
    return landed_object(upload, ports.uploads, ports.bucket)


def landed_object(upload: UploadRecord, uploads: UploadStore, bucket: str) -> LandedObject:
    """The version the fan-out read; an upload claimed before the pin was kept has only its
    identity, read back as S3's sequencer (the import then reads the key's current object)."""
    assert upload.landed_at is not None
    pin = uploads.object_pin(upload.id) or {"sequencer": upload.object_version}
    return LandedObject(
        bucket=bucket,
        key=upload.key,
        size=upload.object_size or 0,
        etag=pin.get("etag"),
        version_id=pin.get("version_id"),
        sequencer=pin.get("sequencer"),
        landed_at=upload.landed_at,
    )


def queue_import(queue: MessageQueue, message: OutgoingMessage) -> str | None:
    """Sends the re-import's notification; None once queued, else why not (a retry and a known
    error's remedy say so in their own words)."""
    try:
        receipts = queue.send([message])
    except DependencyError as exc:
        return str(exc)
    return next((one.error or "refused" for one in receipts if not one.queued), None)


def _send(ports: RetryPorts, upload: UploadRecord, landed: LandedObject, asked: str) -> None:
    """Queued, or the upload failed again as it was, plus why the retry did not start."""
    error = queue_import(ports.uploads_queue, OutgoingMessage("retry", retry_notification(landed)))
    if error is None:
        return
    reason = f"{asked}, but it could not be queued ({error}); before: {upload.status_reason}"
    ports.uploads.fail(upload.id, reason, upload.problems, ports.clock.now())
    raise DependencyError(f"the retry of upload {upload.id} could not be queued: {error}")


def _refused(upload: UploadRecord) -> Conflict:
    why = WHY_NOT.get(UploadStatus(upload.status), f"it is {upload.status}")
    if upload.status == UploadStatus.FAILED:
        why = "its file never landed: upload it again"
    return Conflict(
        f"upload {upload.id} cannot be retried: {why}",
        [Detail(why, field="status", value=upload.status)],
    )
