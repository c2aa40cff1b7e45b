"""Pipeline incidents as values: what kinds there are, what one says, and how it is decided.

An incident is an operations alert: an ``Alert`` of kind ``incident`` whose rule id is one of the
reserved ids below, one per kind of failure, grouped by what failed (an upload, a queue, a rule).
So it shares everything a rule's alert has: one fingerprint per thing that failed (a redelivered
failure adds to the open incident, never opens a second), the outbox and SNS path, the timeline,
acknowledge and resolve through ``/alerts``, silences (a matcher ``rules: [pipeline.dead-letters]``)
and the flapping guard. No rule file can declare these ids: a rule's id has no dot.

What failed, where and the error are the incident's labels (the email shows them, a silence can
match them) and, each time they change, a line of its timeline. An incident resolves when its
cause is gone, which the services watch (:mod:`chalicelib.services.incidents`): the upload was
retried and completed, the dead-letter queue drained, the rule stopped failing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.alerts import Alert, AlertChange, FlapState, Happening, open_alert
from chalicelib.domain.rules import AlertPolicy, GroupValues, fingerprint

INCIDENT = "incident"  # ``Alert.kind`` of an operations alert
VERSION = "pipeline"  # ``Alert.rule_version``: the kinds are built in, not read from a file
# Told once when opened and once when resolved: an incident is not repeated (it stays on
# ``GET /alerts?status=open``); the flapping guard is a rule's default.
POLICY = AlertPolicy(repeat_every=None)
TEXT_LIMIT = 500  # characters of an error or a place kept in the labels (the timeline has 1000)


@dataclass(frozen=True)
class IncidentKind:
    """One kind of failure: its reserved rule id, what its group names, and how it ends."""

    rule_id: str
    subject: str  # the group's one field: ``upload``, ``queue`` or ``rule``
    severity: str
    title: str
    resolves: str


UPLOAD_FAILED = "pipeline.upload-failed"
CHUNK_EXHAUSTED = "pipeline.chunk-exhausted"
DEAD_LETTERS = "pipeline.dead-letters"
RULE_FAILING = "pipeline.rule-failing"

KINDS: dict[str, IncidentKind] = {
    one.rule_id: one
    for one in (
        IncidentKind(
            UPLOAD_FAILED,
            "upload",
            "high",
            "an upload failed",
            "when the upload is imported after all: POST /uploads/{id}/retry, or a known "
            "error's remedy",
        ),
        IncidentKind(
            CHUNK_EXHAUSTED,
            "upload",
            "high",
            "a chunk of an upload failed on every delivery and went to the dead-letter queue",
            "when the upload is imported after all: POST /uploads/{id}/retry",
        ),
        IncidentKind(
            DEAD_LETTERS,
            "queue",
            "high",
            "messages wait in a dead-letter queue",
            "when the dead-letter queue is empty: tripline dlq redrive QUEUE (or purge it)",
        ),
        IncidentKind(
            RULE_FAILING,
            "rule",
            "medium",
            "a rule keeps failing on events",
            "when the rule has not failed on any event for a while: fix the rule",
        ),
    )
}
INCIDENT_RULE_IDS = tuple(KINDS)


@dataclass(frozen=True)
class IncidentDetail:
    """What failed (``what``: the upload, its file and source; the queue; the rule), where in it
    (``where``: a line, a chunk and its lines, a queue's depth), and the error as it was raised.
    ``observed`` is a measure of it when there is one (messages waiting, failures counted)."""

    what: str
    error: str
    where: str = ""
    source: str | None = None
    observed: float | None = None

    def labels(self, kind: IncidentKind) -> dict[str, str]:
        labels = {"incident": kind.rule_id, "what": _cut(self.what), "error": _cut(self.error)}
        if self.where:
            labels["where"] = _cut(self.where)
        return labels | {"resolves": kind.resolves}

    def line(self) -> str:
        where = f" at {self.where}" if self.where else ""
        return f"{self.what}{where}: {self.error}"


@dataclass(frozen=True)
class RuleFailing:
    """A rule's failures since a moment: how many events it failed on, and the latest."""

    rule_id: str
    failures: int
    reason: str
    source: str
    event_id: str


def incident_kind(rule_id: str) -> IncidentKind:
    """The kind by its reserved id; anything else is the caller's mistake, named."""
    kind = KINDS.get(rule_id)
    if kind is None:
        raise ValueError(f"no incident kind {rule_id!r}: one of {', '.join(KINDS)}")
    return kind


def incident_group(kind: IncidentKind, subject: str) -> GroupValues:
    return ((kind.subject, subject),)


def incident_print(kind: IncidentKind, subject: str) -> str:
    """The incident's fingerprint, as a rule's alert's is made: its id and its group."""
    return fingerprint(kind.rule_id, incident_group(kind, subject))


def is_incident(alert: Alert) -> bool:
    return alert.kind == INCIDENT


def open_incident(
    active: Alert | None,
    kind: IncidentKind,
    subject: str,
    detail: IncidentDetail,
    flap: FlapState,
    now: datetime,
) -> AlertChange | None:
    """A failure seen: it opens an incident, or adds to the open one. The same failure told
    again (a redelivery, a retried schedule) changes nothing: None; a new error or place counts
    once more and says so in the timeline."""
    labels = detail.labels(kind)
    if active is not None:
        if dict(active.labels) == labels and active.observed == detail.observed:
            return None
        again = replace(
            active,
            count=active.count + (dict(active.labels) != labels),
            labels=labels,
            observed=detail.observed,
            last_seen_at=now,
            last_matched_at=now,
        )
        return AlertChange(again, (Happening("failed again", detail.line()),))
    alert = Alert(
        id=None,
        fingerprint=incident_print(kind, subject),
        rule_id=kind.rule_id,
        rule_version=VERSION,
        kind=INCIDENT,
        severity=kind.severity,
        source=detail.source,
        group=incident_group(kind, subject),
        labels=labels,
        status="open",
        count=1,
        first_seen_at=now,
        last_seen_at=now,
        last_matched_at=now,
        opened_at=now,
        observed=detail.observed,
        notified_at=now,
    )
    return open_alert(alert, Happening("opened", f"{kind.title}: {detail.line()}"), POLICY, flap)


def note_incident(active: Alert, what: str, detail: str, actor: str | None = None) -> AlertChange:
    """A line on the incident's timeline (a remedy tried, a retry asked for), nothing else."""
    return AlertChange(active, (Happening(what[:32], detail, actor),))


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
