"""Known errors' remedies: a failed upload matched, its remedy carried out and told, its outcome kept.

A failure is told here by the call that failed the upload (``completion.fail_upload``). The
first known error of ``rules/known-errors.yaml`` that fits it decides (``domain.known_errors``);
a re-import is what ``POST /uploads/{id}/retry`` does (the upload reopened, the object's
notification sent again to the uploads queue), with two differences: a ``retry`` is sent with an
SQS delay, and a ``reread`` or ``skip_lines`` leaves its read options on the match, which the
fan-out asks for (:meth:`KnownErrorRemedies.read_options`) and hands to the chunks. The incident
the failure opened gets each step on its timeline; when the re-import completes, the remedy
resolves it, and when it fails again the incident stays open, saying that the remedy did not
help.

Best effort: a remedy that cannot be recorded (the database away, a broken known-errors file)
is logged and the upload stays failed, as it would be with no known errors at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.domain.errors import TriplineError
from chalicelib.domain.known_errors import (
    REIMPORT,
    SCHEDULED,
    KnownErrorBook,
    KnownErrorCount,
    ReadOptions,
    RemedyDecision,
    RemedyRecord,
    UploadFailure,
    decide,
)
from chalicelib.domain.messages import OutgoingMessage
from chalicelib.domain.uploads import UploadRecord
from chalicelib.observability import logger
from chalicelib.ports import Clock, MessageQueue, UploadStore
from chalicelib.services.incidents import UPLOAD_KINDS, Incidents
from chalicelib.services.upload_retry import landed_object, queue_import, retry_notification


class KnownErrorStore(Protocol):
    def history(self, upload_id: str) -> list[RemedyRecord]: ...

    def add(self, record: RemedyRecord) -> bool: ...

    def settle(self, upload_id: str, succeeded: bool, at: Any) -> RemedyRecord | None: ...

    def counts(self) -> dict[str, KnownErrorCount]: ...


class KnownErrorRemedies:
    """``ports.UploadRemedies``: ``book`` is read on first need, so a known-errors file with
    problems stops the remedies only, never an import."""

    def __init__(
        self,
        *,
        book: Callable[[], KnownErrorBook],
        store: KnownErrorStore,
        uploads: UploadStore,
        uploads_queue: MessageQueue,
        incidents: Incidents | None,
        clock: Clock,
        bucket: str,
    ) -> None:
        self._book, self._store, self._uploads = book, store, uploads
        self._queue, self._incidents, self._clock, self._bucket = (
            uploads_queue,
            incidents,
            clock,
            bucket,
        )

    def upload_failed(self, upload: UploadRecord, failure: UploadFailure, incident: str) -> None:
        try:
            self._failed(upload, failure, incident)
        except TriplineError as exc:
            logger().warning(
                "known errors not applied",
                extra={"upload_id": upload.id, "source": upload.source, "error": str(exc)},
            )

    def upload_completed(self, upload: UploadRecord) -> None:
        """Best effort too: the incidents' own resolve comes next, whatever happens here."""
        try:
            self._completed(upload)
        except TriplineError as exc:
            logger().warning(
                "known error's remedy not settled",
                extra={"upload_id": upload.id, "source": upload.source, "error": str(exc)},
            )

    def _completed(self, upload: UploadRecord) -> None:
        settled = self._store.settle(upload.id, True, self._clock.now())
        if settled is None:
            return
        logger().info(
            "known error remedied",
            extra={"upload_id": upload.id, "known_error": settled.known_error_id},
        )
        detail = (
            f"the remedy of known error {settled.known_error_id!r} worked "
            f"({settled.remedy}): the upload was imported: {upload.status}"
        )
        if self._incidents is not None:
            for kind in UPLOAD_KINDS:
                self._incidents.resolve_incident(kind, upload.id, detail)

    def read_options(self, upload_id: str) -> ReadOptions:
        pending = [one for one in self._store.history(upload_id) if one.status == SCHEDULED]
        return (pending[-1].options if pending else None) or ReadOptions()

    def _failed(self, upload: UploadRecord, failure: UploadFailure, incident: str) -> None:
        history = self._store.history(upload.id)
        now = self._clock.now()
        before = self._store.settle(upload.id, False, now)
        did_not_help = (
            f"the remedy of known error {before.known_error_id!r} ({before.remedy}) did not "
            f"help: {failure.reason}"
            if before is not None
            else ""
        )
        known = self._book().match(failure)
        if known is None:
            if did_not_help:
                self._note(incident, upload.id, f"{did_not_help}; the upload stays failed")
            return
        chunks_done = self._uploads.progress(upload.id).chunks_done
        decision = decide(known, [one.past() for one in history], chunks_done)
        record = RemedyRecord(
            upload.id,
            len(history) + 1,
            known.id,
            known.remedy.kind,
            decision.status,
            failure.kind,
            failure.reason,
            decision.options if decision.action == REIMPORT else None,
            decision.note,
            now,
        )
        if not self._store.add(record):
            return  # another delivery of this failure recorded it first, and acts on it
        logger().info(
            "known error matched",
            extra={"upload_id": upload.id, "known_error": known.id, "action": decision.action},
        )
        self._note(incident, upload.id, "; ".join(filter(None, (did_not_help, decision.note))))
        if decision.action == REIMPORT:
            self._reimport(upload, decision, incident)

    def _reimport(self, upload: UploadRecord, decision: RemedyDecision, incident: str) -> None:
        """As ``POST /uploads/{id}/retry`` does it, with the remedy's delay; the upload says
        what is coming while it waits."""
        upload = self._uploads.get(upload.id) or upload  # as claimed: when and what landed
        if upload.landed_at is None or not self._uploads.reopen(
            upload.id, f"{decision.note}; the import starts when it is queued"
        ):
            self._store.settle(upload.id, False, self._clock.now())
            return
        landed = landed_object(upload, self._uploads, self._bucket)
        message = OutgoingMessage("remedy", retry_notification(landed), decision.delay_seconds)
        error = queue_import(self._queue, message)
        if error is None:
            return
        reason = f"{decision.note}, but it could not be queued ({error})"
        self._uploads.fail(upload.id, reason, upload.problems, self._clock.now())
        self._store.settle(upload.id, False, self._clock.now())
        self._note(incident, upload.id, f"{reason}; the upload stays failed")

    def _note(self, incident: str, upload_id: str, text: str) -> None:
        if self._incidents is not None and text:
            self._incidents.note_incident(incident, upload_id, text[:1000], what="known_error")


def list_known_errors(
    *, book: KnownErrorBook, store: KnownErrorStore
) -> dict[str, list[dict[str, Any]]]:
    """``GET /known-errors``: each known error of the file with its counts, in file order; then
    those counted under an id the file no longer has (``retired``)."""
    counts = store.counts()
    items = [
        known.view() | _counted(counts.pop(known.id, None), known.id) for known in book.known_errors
    ]
    items += [{"id": key, "retired": True} | one.view() for key, one in sorted(counts.items())]
    return {"items": items}


def _counted(count: KnownErrorCount | None, known_error_id: str) -> dict[str, Any]:
    return (count or KnownErrorCount(known_error_id)).view()
