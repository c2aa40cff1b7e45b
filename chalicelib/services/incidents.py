"""Pipeline incidents: open, note and resolve operations alerts, each inside one unit of work.

This is the API other flows call when something in the pipeline fails or recovers (the uploads'
completion, the schedule's watch, the known errors' remedies). An incident is identified by its
kind (a reserved rule id, ``domain.incidents.KINDS``) and its subject (what failed: an upload
id, a dead-letter queue's name, a rule id). Every call follows the alerts' idiom
(:mod:`~chalicelib.services.alerting`): lock the fingerprint, read the active incident, decide
with the domain, write the alert, its timeline and its notices together. So every call is
idempotent: a failure told twice opens one incident and queues one email, a resolve told twice
resolves once and queues one resolve email.

Stable surface (the known-errors work calls it)::

    incidents.open_incident(kind, subject, IncidentDetail(what, error, where))
    incidents.note_incident(kind, subject, "retried after 60 s", what="remedy")
    incidents.resolve_incident(kind, subject, "the remedy worked: re-read as latin-1")
    incidents.active_incident(kind, subject)

Each returns the incident as it is afterwards (None when there is none active to note or
resolve). Notices queued are sent at once when a notifier is given (``notify_now``); the
schedule retries whatever that could not send.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain.alerts import Alert, AlertChange, FlapState, resolve
from chalicelib.domain.errors import Detail
from chalicelib.domain.incidents import (
    CHUNK_EXHAUSTED,
    POLICY,
    UPLOAD_FAILED,
    IncidentDetail,
    incident_kind,
    incident_print,
    note_incident,
    open_incident,
)
from chalicelib.domain.uploads import UploadRecord
from chalicelib.ports import AlertStore, Clock, Notifier
from chalicelib.services.alerting import Decide, change_fingerprint
from chalicelib.services.notifications import notify_now

UPLOAD_KINDS = (UPLOAD_FAILED, CHUNK_EXHAUSTED)


class Incidents:
    """Operations alerts on the alerts' store; ``notifier`` sends what a change queued."""

    def __init__(self, store: AlertStore, clock: Clock, notifier: Notifier | None = None) -> None:
        self._store, self._clock, self._notifier = store, clock, notifier

    def open_incident(self, kind: str, subject: str, detail: IncidentDetail) -> Alert | None:
        """Open the incident of ``subject``, or add ``detail`` to the open one (a detail told
        before changes nothing)."""
        found = incident_kind(kind)

        def decide(active: Alert | None, flap: FlapState, now: datetime) -> AlertChange | None:
            return open_incident(active, found, subject, detail, flap, now)

        return self._change(kind, subject, "opening an incident", decide)

    def note_incident(
        self,
        kind: str,
        subject: str,
        detail: str,
        *,
        what: str = "note",
        actor: str | None = None,
    ) -> Alert | None:
        """A line on the active incident's timeline (``what``: its kind, such as ``remedy``,
        at most 32 characters); None, and nothing written, when none is active."""

        def decide(active: Alert | None, _flap: FlapState, _now: datetime) -> AlertChange | None:
            return None if active is None else note_incident(active, what, detail, actor)

        return self._change(kind, subject, "noting an incident", decide, only_active=True)

    def resolve_incident(
        self, kind: str, subject: str, detail: str, *, actor: str | None = None
    ) -> Alert | None:
        """Resolve the active incident, ``detail`` saying why (its resolve email is queued
        once); None when none is active."""

        def decide(active: Alert | None, flap: FlapState, now: datetime) -> AlertChange | None:
            if active is None:
                return None
            return resolve(active, now, detail, flap=flap, actor=actor)

        return self._change(kind, subject, "resolving an incident", decide, only_active=True)

    def active_incident(self, kind: str, subject: str) -> Alert | None:
        print_ = incident_print(incident_kind(kind), subject)
        with self._store.unit_of_work("reading an incident") as work:
            return work.active_alert(print_)

    def _change(
        self, kind: str, subject: str, action: str, decide: Decide, only_active: bool = False
    ) -> Alert | None:
        """``only_active``: a change that needs an active incident looks before it locks, so
        asking to resolve what never failed (every completed upload) writes nothing."""
        found = incident_kind(kind)
        print_ = incident_print(found, subject)
        now = self._clock.now()
        if only_active and self.active_incident(kind, subject) is None:
            return None
        with self._store.unit_of_work(action) as work:
            after, change = change_fingerprint(work, print_, found.rule_id, POLICY, decide, now)
        if change is not None and change.notices and self._notifier is not None:
            notify_now(self._notifier)
        return after


def upload_failed(
    incidents: Incidents,
    upload: UploadRecord,
    reason: str,
    problems: Sequence[Detail],
    kind: str = UPLOAD_FAILED,
    where: str | None = None,
) -> Alert | None:
    """The upload's incident: what file of which source, where (``where``, else the first
    place the problems name), and the reason it failed."""
    return incidents.open_incident(
        kind,
        upload.id,
        IncidentDetail(
            what=f"upload {upload.id} ({upload.key}, source {upload.source})",
            error=reason,
            where=_where(problems) if where is None else where,
            source=upload.source,
        ),
    )


def upload_imported(incidents: Incidents, upload_id: str, status: str) -> None:
    """The upload completed after all: its incidents resolve, saying how."""
    for kind in UPLOAD_KINDS:
        incidents.resolve_incident(kind, upload_id, f"the upload was imported: {status}")


def _where(problems: Sequence[Detail]) -> str:
    for detail in problems:
        place = [
            f"{name} {value}"
            for name, value in (
                ("line", detail.line),
                ("column", detail.column),
                ("field", detail.field),
            )
            if value is not None
        ]
        if place:
            return ", ".join(place)
    return ""
